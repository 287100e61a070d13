#pragma once
// What a node implementation sees while it runs: its inputs (literals parsed and range-checked,
// links resolved to upstream outputs), progress and cancellation, and the caller's file I/O.
// Nodes report problems by throwing node_error with a sentence about their own inputs; the
// executor adds "Node <id> (<class_type>): " in front, so nodes never need to know who they are.

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include <rapidjson/document.h>

#include "backends/builtin/graph_executor.hpp"
#include "backends/builtin/image.hpp"

namespace mediagen::builtin {

/// ComfyUI's IMAGE: a batch of pictures of the same size.
using image_batch = std::vector<image>;

/// One output of a node: an IMAGE or a MASK.
using node_value = std::variant<image_batch, mask>;

/// A node's complaint about its inputs or its work, as one sentence without the node's name.
struct node_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// `text` with exactly one final period, so messages from elsewhere (std::exception::what(),
/// stb) can end a sentence whether or not they brought their own.
inline std::string end_sentence(std::string text) {
  while (!text.empty() && (text.back() == '.' || text.back() == ' ' || text.back() == '\n')) text.pop_back();
  return text + ".";
}

/// Thrown from progress/check_cancelled when the caller asked to stop; not an error.
struct run_cancelled {};

class node_call {
public:
  /// `inputs` is the node's "inputs" object (or null when it has none); `links` maps an input
  /// name to the upstream output it is wired to; `report(value, max)` forwards progress.
  node_call(const rapidjson::Value* inputs, std::map<std::string, const node_value*> links,
            const execution_context& ctx, std::function<void(int, int)> report);

  // Literal inputs. Numbers may be JSON ints, doubles or numeric strings (multipart sends
  // text). The overloads without a fallback make the input required; absent or null takes
  // the fallback where there is one.
  std::int64_t integer(const char* name, std::int64_t min, std::int64_t max) const;
  std::int64_t integer(const char* name, std::int64_t min, std::int64_t max, std::int64_t fallback) const;
  double number(const char* name, double min, double max) const;
  double number(const char* name, double min, double max, double fallback) const;
  std::string text(const char* name) const;
  std::string text(const char* name, const std::string& fallback) const;
  std::string choice(const char* name, std::initializer_list<const char*> allowed, const char* fallback) const;
  bool flag(const char* name, bool fallback) const;
  /// Any whole number that fits 64 bits, signed or not (ComfyUI seeds go up to 2^64-1).
  std::uint64_t seed(const char* name) const;

  // Linked inputs.
  const image_batch& images(const char* name) const;
  const mask& mask_input(const char* name) const;
  const mask* optional_mask(const char* name) const; ///< null when not connected

  /// Reports `value` of `max` steps done, then stops the run if cancellation was requested.
  void progress(int value, int max);
  /// Stops the run (throws run_cancelled) if cancellation was requested.
  void check_cancelled() const;
  bool cancel_requested() const;
  bool progress_reported() const { return reported_; }
  /// Whether the caller wants a live preview now (false when it takes none).
  bool preview_due() const { return ctx_.on_preview && ctx_.preview_due && ctx_.preview_due(); }
  /// Hands the picture so far to the caller; only after preview_due() held.
  void preview(const image& picture) const { ctx_.on_preview(picture); }

  const execution_context& context() const { return ctx_; }
  void add_output(produced_file file) { outputs_.push_back(std::move(file)); }
  std::vector<produced_file>& outputs() { return outputs_; }

private:
  const rapidjson::Value* find(const char* name) const; ///< null when absent or JSON null
  const node_value& linked(const char* name) const;

  const rapidjson::Value* inputs_;
  std::map<std::string, const node_value*> links_;
  const execution_context& ctx_;
  std::function<void(int, int)> report_;
  bool reported_ = false;
  std::vector<produced_file> outputs_;
};

/// The kinds of values an input takes or an output gives.
enum class value_kind { image, mask, literal };

struct input_spec {
  const char* name;
  value_kind kind;
  bool required; ///< only enforced for links: literals may be filled in after loading
};

/// One supported class_type: its inputs, outputs and implementation.
struct node_type {
  const char* class_type;
  std::vector<input_spec> inputs;
  std::vector<value_kind> outputs;
  bool is_output; ///< produces files; the graph runs to satisfy these nodes
  std::vector<node_value> (*run)(node_call&);
};

/// Every node type the executor knows, in a fixed order.
const std::vector<node_type>& node_type_table();
/// The entry for `class_type`, or null.
const node_type* find_node_type(const std::string& class_type);

} // namespace mediagen::builtin
