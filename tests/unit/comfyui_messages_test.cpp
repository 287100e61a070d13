// Parsing of ComfyUI's WebSocket frames, /prompt and /history answers. The JSON literals are
// shaped as ComfyUI's server.py / execution.py / main.py send them (send_json wraps every event
// as {"type": event, "data": data}).

#include <doctest/doctest.h>

#include <string>

#include "backends/comfyui/messages.hpp"

using namespace mediagen::comfyui;

namespace {
const std::string pid = "5b0c8a3e-2f41-4c57-9d0e-7a1f3c2b9e64";

template <class T>
const T& as(const ws_frame& f) {
  REQUIRE(std::holds_alternative<T>(f));
  return std::get<T>(f);
}
} // namespace

TEST_SUITE("comfyui messages") {

  TEST_CASE("status frames: first frame with sid, later updates without") {
    auto f = parse_ws_text(
        R"({"type": "status", "data": {"status": {"exec_info": {"queue_remaining": 0}}, "sid": "c1d2"}})");
    const auto& s = as<status_frame>(f);
    CHECK(s.queue_remaining == 0);
    CHECK(s.sid == "c1d2");
    CHECK(frame_type(f) == "status");
    CHECK_FALSE(frame_prompt_id(f).has_value());

    auto g = parse_ws_text(R"({"type": "status", "data": {"status": {"exec_info": {"queue_remaining": 3}}}})");
    CHECK(as<status_frame>(g).queue_remaining == 3);
    CHECK(as<status_frame>(g).sid.empty());

    auto h = parse_ws_text(R"({"type": "status", "data": {}})");
    CHECK(as<status_frame>(h).queue_remaining == -1);
  }

  TEST_CASE("execution_start and execution_cached, with and without timestamp") {
    auto f = parse_ws_text(R"({"type": "execution_start", "data": {"prompt_id": ")" + pid +
                           R"(", "timestamp": 1718000000123}})");
    CHECK(as<execution_start_frame>(f).prompt_id == pid);
    CHECK(frame_prompt_id(f) == pid);

    auto old = parse_ws_text(R"({"type": "execution_start", "data": {"prompt_id": ")" + pid + R"("}})");
    CHECK(as<execution_start_frame>(old).prompt_id == pid);

    auto c = parse_ws_text(R"({"type": "execution_cached", "data": {"nodes": ["4", "5", "7"], "prompt_id": ")" + pid +
                           R"(", "timestamp": 1718000000200}})");
    const auto& cached = as<execution_cached_frame>(c);
    CHECK(cached.prompt_id == pid);
    REQUIRE(cached.nodes.size() == 3);
    CHECK(cached.nodes[2] == "7");

    auto empty = parse_ws_text(R"({"type": "execution_cached", "data": {"nodes": [], "prompt_id": ")" + pid + R"("}})");
    CHECK(as<execution_cached_frame>(empty).nodes.empty());
  }

  TEST_CASE("executing: node, display_node, finished (null), legacy reconnect without prompt_id") {
    auto f = parse_ws_text(R"({"type": "executing", "data": {"node": "3", "display_node": "3", "prompt_id": ")" + pid +
                           R"("}})");
    const auto& e = as<executing_frame>(f);
    CHECK(e.node == std::optional<std::string>("3"));
    CHECK(e.display_node == "3");
    CHECK(e.prompt_id == pid);

    auto done = parse_ws_text(R"({"type": "executing", "data": {"node": null, "prompt_id": ")" + pid + R"("}})");
    CHECK_FALSE(as<executing_frame>(done).node.has_value());
    CHECK(as<executing_frame>(done).prompt_id == pid);

    // server.py on reconnect of the executing client: {"node": last_node_id}, no prompt_id.
    auto legacy = parse_ws_text(R"({"type": "executing", "data": {"node": "12"}})");
    CHECK(as<executing_frame>(legacy).node == std::optional<std::string>("12"));
    CHECK_FALSE(as<executing_frame>(legacy).prompt_id.has_value());
    CHECK(as<executing_frame>(legacy).display_node.empty());

    // Expanded (subgraph) nodes have ids like "12.0.3" and a display_node of the parent.
    auto sub = parse_ws_text(
        R"({"type": "executing", "data": {"node": "12.0.3", "display_node": "12", "prompt_id": ")" + pid + R"("}})");
    CHECK(as<executing_frame>(sub).node == std::optional<std::string>("12.0.3"));
    CHECK(as<executing_frame>(sub).display_node == "12");

    // A numeric node id (some forks) is accepted as text.
    auto numeric = parse_ws_text(R"({"type": "executing", "data": {"node": 7, "prompt_id": ")" + pid + R"("}})");
    CHECK(as<executing_frame>(numeric).node == std::optional<std::string>("7"));
  }

  TEST_CASE("progress: main.py hook shape, legacy shape, null ids") {
    auto f = parse_ws_text(R"({"type": "progress", "data": {"value": 5, "max": 20, "prompt_id": ")" + pid +
                           R"(", "node": "3"}})");
    const auto& p = as<progress_frame>(f);
    CHECK(p.value == 5);
    CHECK(p.max == 20);
    CHECK(p.node == std::optional<std::string>("3"));
    CHECK(p.prompt_id == pid);

    auto legacy = parse_ws_text(R"({"type": "progress", "data": {"value": 1, "max": 10}})");
    CHECK(as<progress_frame>(legacy).value == 1);
    CHECK_FALSE(as<progress_frame>(legacy).node.has_value());
    CHECK_FALSE(as<progress_frame>(legacy).prompt_id.has_value());

    auto nulls = parse_ws_text(
        R"({"type": "progress", "data": {"value": 2, "max": 4, "prompt_id": null, "node": null}})");
    CHECK(as<progress_frame>(nulls).max == 4);
    CHECK_FALSE(as<progress_frame>(nulls).prompt_id.has_value());

    auto bad = parse_ws_text(R"({"type": "progress", "data": {"value": "x", "max": 4}})");
    CHECK(as<unknown_frame>(bad).type == "progress");
    CHECK_FALSE(as<unknown_frame>(bad).error.empty());
  }

  TEST_CASE("executed: output with images, cached output null, NaN inside output") {
    auto f = parse_ws_text(
        R"({"type": "executed", "data": {"node": "9", "display_node": "9", "output": {"images": [{"filename": "ComfyUI_00001_.png", "subfolder": "", "type": "output"}]}, "prompt_id": ")" +
        pid + R"("}})");
    const auto& e = as<executed_frame>(f);
    CHECK(e.node == "9");
    CHECK(e.display_node == "9");
    CHECK(e.prompt_id == pid);
    CHECK(e.output_json.find("ComfyUI_00001_.png") != std::string::npos);
    REQUIRE(e.files.size() == 1);
    CHECK(e.files[0].node_id == "9");
    CHECK(e.files[0].filename == "ComfyUI_00001_.png");
    CHECK(e.files[0].type == "output");
    CHECK(e.files[0].kind == "image");
    CHECK(e.files[0].key == "images");

    // Newer servers re-send "executed" for cached nodes with output None.
    auto cached = parse_ws_text(
        R"({"type": "executed", "data": {"node": "9", "display_node": "9", "output": null, "prompt_id": ")" + pid +
        R"("}})");
    CHECK(as<executed_frame>(cached).output_json == "null");
    CHECK(as<executed_frame>(cached).files.empty());

    // Python's json.dumps writes NaN for float('nan').
    auto nan = parse_ws_text(
        R"({"type": "executed", "data": {"node": "4", "output": {"value": [NaN]}, "prompt_id": ")" + pid + R"("}})");
    CHECK(as<executed_frame>(nan).node == "4");
    CHECK(as<executed_frame>(nan).display_node.empty());
  }

  TEST_CASE("execution_success") {
    auto f = parse_ws_text(R"({"type": "execution_success", "data": {"prompt_id": ")" + pid +
                           R"(", "timestamp": 1718000009999}})");
    CHECK(as<execution_success_frame>(f).prompt_id == pid);
    CHECK(frame_type(f) == "execution_success");
  }

  TEST_CASE("execution_error: the full shape of handle_execution_error, and a legacy message") {
    auto f = parse_ws_text(R"({"type": "execution_error", "data": {"prompt_id": ")" + pid + R"(",
      "node_id": "3", "node_type": "KSampler", "executed": ["4", "5", "6", "7"],
      "exception_message": "Allocation on device \nThis error means you ran out of memory on your GPU.",
      "exception_type": "torch.OutOfMemoryError",
      "traceback": ["  File \"execution.py\", line 327, in execute\n"],
      "current_inputs": {"seed": [42], "cfg": [NaN]}, "current_outputs": ["4", "5"], "timestamp": 1718000000300}})");
    const auto& e = as<execution_error_frame>(f);
    CHECK(e.prompt_id == pid);
    CHECK(e.node_id == "3");
    CHECK(e.node_type == "KSampler");
    CHECK(e.exception_type == "torch.OutOfMemoryError");
    CHECK(e.exception_message.find("Allocation on device") == 0);

    auto legacy = parse_ws_text(R"({"type": "execution_error", "data": {"message": "Traceback ...", "prompt_id": ")" +
                                pid + R"("}})");
    CHECK(as<execution_error_frame>(legacy).exception_message == "Traceback ...");
    CHECK(as<execution_error_frame>(legacy).node_id.empty());
  }

  TEST_CASE("execution_interrupted") {
    auto f = parse_ws_text(R"({"type": "execution_interrupted", "data": {"prompt_id": ")" + pid +
                           R"(", "node_id": "3", "node_type": "KSampler", "executed": ["4"], "timestamp": 1}})");
    const auto& i = as<execution_interrupted_frame>(f);
    CHECK(i.prompt_id == pid);
    CHECK(i.node_id == "3");
    CHECK(i.node_type == "KSampler");
  }

  TEST_CASE("unknown types are unknown without an error") {
    auto f = parse_ws_text(R"({"type": "progress_state", "data": {"prompt_id": ")" + pid +
                           R"(", "nodes": {"3": {"value": 1, "max": 20, "state": "running"}}}})");
    CHECK(as<unknown_frame>(f).type == "progress_state");
    CHECK(as<unknown_frame>(f).error.empty());
    CHECK(frame_type(f) == "progress_state");
    auto g = parse_ws_text(R"({"type": "crystools.monitor", "data": {"cpu_utilization": 12.5}})");
    CHECK(as<unknown_frame>(g).error.empty());
  }

  TEST_CASE("garbage never crashes and is reported as malformed") {
    const std::string inputs[] = {
        "",
        "not json",
        "[]",
        "null",
        "42",
        R"({"type": 5, "data": {}})",
        R"({"data": {"node": "3"}})",
        R"({"type": "executing"})",
        R"({"type": "executing", "data": []})",
        R"({"type": "executing", "data": {}})",
        R"({"type": "executing", "data": {"node": {"x": 1}}})",
        R"({"type": "executed", "data": {"output": {}}})",
        R"({"type": "progress", "data": {}})",
        R"({"type": "status", "data": {"status": 7)",
        std::string("{\"type\": \"status\", \"data\": {\0}}", 30),
        std::string(100000, '['),
        "{\"type\":\"x\",\"data\":" + std::string(5000, '[') + std::string(5000, ']') + "}",
        "\xff\xfe\xfd",
    };
    for (const auto& in : inputs) {
      auto f = parse_ws_text(in);
      REQUIRE(std::holds_alternative<unknown_frame>(f));
      CHECK_FALSE(std::get<unknown_frame>(f).error.empty());
    }
    // Extra fields and odd-but-valid types are tolerated.
    auto extra = parse_ws_text(R"({"type": "execution_start", "data": {"prompt_id": ")" + pid +
                               R"(", "extra": {"a": [1, 2, {"b": null}]}}, "more": true})");
    CHECK(as<execution_start_frame>(extra).prompt_id == pid);
    auto nested_strings = parse_ws_text(R"({"type": "unknown", "data": {"s": "[[[[{{{{\"\\"}})");
    CHECK(std::holds_alternative<unknown_frame>(nested_strings));
  }

  TEST_CASE("ends_prompt: terminal events of our prompt only") {
    const std::string other = "00000000-0000-4000-8000-000000000000";
    auto ev = [](const std::string& type, const std::string& data) {
      return parse_ws_text(R"({"type": ")" + type + R"(", "data": )" + data + "}");
    };
    const std::string mine = R"({"prompt_id": ")" + pid + R"(", "node_id": "3", "node_type": "K"})";
    const std::string theirs = R"({"prompt_id": ")" + other + R"(", "node_id": "3", "node_type": "K"})";
    CHECK(ends_prompt(ev("execution_success", mine), pid) == prompt_end::success);
    CHECK(ends_prompt(ev("execution_error", mine), pid) == prompt_end::error);
    CHECK(ends_prompt(ev("execution_interrupted", mine), pid) == prompt_end::interrupted);
    CHECK_FALSE(ends_prompt(ev("execution_success", theirs), pid));
    CHECK_FALSE(ends_prompt(ev("execution_error", theirs), pid));
    CHECK(ends_prompt(ev("executing", R"({"node": null, "prompt_id": ")" + pid + R"("})"), pid) ==
          prompt_end::finished);
    CHECK(ends_prompt(ev("executing", R"({"node": null})"), pid) == prompt_end::finished);
    CHECK_FALSE(ends_prompt(ev("executing", R"({"node": null, "prompt_id": ")" + other + R"("})"), pid));
    CHECK_FALSE(ends_prompt(ev("executing", R"({"node": "3", "prompt_id": ")" + pid + R"("})"), pid));
    CHECK_FALSE(ends_prompt(ev("execution_start", mine), pid));
    CHECK_FALSE(ends_prompt(ev("status", "{}"), pid));
    CHECK_FALSE(ends_prompt(parse_ws_text("garbage"), pid));
  }

  TEST_CASE("binary frames are classified so they can be skipped") {
    const std::string jpeg_preview = std::string("\x00\x00\x00\x01\x00\x00\x00\x01", 8) + "\xff\xd8\xff";
    const std::string png_preview = std::string("\x00\x00\x00\x01\x00\x00\x00\x02", 8) + "\x89PNG";
    const std::string text = std::string("\x00\x00\x00\x03", 4) + "node 3 says hi";
    const std::string meta = std::string("\x00\x00\x00\x04\x00\x00\x00\x02{}", 10);
    CHECK(classify_binary(jpeg_preview) == binary_kind::preview_image);
    CHECK(is_binary_preview(png_preview));
    CHECK(classify_binary(text) == binary_kind::text);
    CHECK_FALSE(is_binary_preview(text));
    CHECK(classify_binary(meta) == binary_kind::preview_image_with_metadata);
    CHECK(is_binary_preview(meta));
    CHECK(classify_binary(std::string("\x00\x00\x01", 3)) == binary_kind::too_short);
    CHECK(classify_binary("") == binary_kind::too_short);
    CHECK(classify_binary(std::string("\x00\x00\x00\x09", 4)) == binary_kind::unknown);
  }

  TEST_CASE("/prompt answers: success, 400 with error object, 400 with plain string") {
    auto ok = parse_prompt_answer(200, R"({"prompt_id": ")" + pid + R"(", "number": 3, "node_errors": {}})");
    CHECK(ok.accepted);
    CHECK(ok.prompt_id == pid);
    CHECK(ok.number == 3);
    CHECK(ok.node_errors.empty());
    CHECK(ok.describe().empty());

    auto refused = parse_prompt_answer(400, R"({"error": {"type": "prompt_outputs_failed_validation",
      "message": "Prompt outputs failed validation",
      "details": "Value not in list: ckpt_name: 'missing.safetensors' not in ['a.safetensors']",
      "extra_info": {}},
    "node_errors": {"4": {"errors": [{"type": "value_not_in_list", "message": "Value not in list",
      "details": "ckpt_name: 'missing.safetensors' not in ['a.safetensors']",
      "extra_info": {"input_name": "ckpt_name", "input_config": [["a.safetensors"], {}], "received_value": "missing.safetensors"}}],
      "dependent_outputs": ["9"], "class_type": "CheckpointLoaderSimple"}}})");
    CHECK_FALSE(refused.accepted);
    CHECK(refused.error.type == "prompt_outputs_failed_validation");
    CHECK(refused.error.message == "Prompt outputs failed validation");
    REQUIRE(refused.node_errors.size() == 1);
    CHECK(refused.node_errors[0].node_id == "4");
    CHECK(refused.node_errors[0].class_type == "CheckpointLoaderSimple");
    REQUIRE(refused.node_errors[0].errors.size() == 1);
    CHECK(refused.node_errors[0].errors[0].type == "value_not_in_list");
    const std::string sentence = refused.describe();
    CHECK(sentence.find("Prompt outputs failed validation") != std::string::npos);
    CHECK(sentence.find("node 4 (CheckpointLoaderSimple)") != std::string::npos);
    CHECK(sentence.find("missing.safetensors") != std::string::npos);
    CHECK(sentence.back() == '.');

    // Older servers: "error" is a plain string and node_errors an empty list.
    auto plain = parse_prompt_answer(400, R"({"error": "no prompt", "node_errors": []})");
    CHECK_FALSE(plain.accepted);
    CHECK(plain.error.message == "no prompt");
    CHECK(plain.node_errors.empty());
    CHECK(plain.describe() == "ComfyUI refused the prompt: no prompt.");

    auto missing_node = parse_prompt_answer(400, R"({"error": {"type": "invalid_prompt",
      "message": "Cannot execute because node NoSuchNode does not exist.", "details": "Node ID '#3'",
      "extra_info": {}}, "node_errors": {}})");
    CHECK(missing_node.describe() ==
          "ComfyUI refused the prompt: Cannot execute because node NoSuchNode does not exist (Node ID '#3').");

    auto garbage = parse_prompt_answer(502, "<html>Bad Gateway</html>");
    CHECK_FALSE(garbage.accepted);
    CHECK_FALSE(garbage.parse_error.empty());
    CHECK(garbage.describe().find("502") != std::string::npos);

    auto no_id = parse_prompt_answer(200, R"({"number": 1})");
    CHECK_FALSE(no_id.accepted);
    CHECK_FALSE(no_id.parse_error.empty());
  }

  TEST_CASE("/history: {} means not written yet") {
    auto h = parse_history("{}", pid);
    CHECK(h.parse_error.empty());
    CHECK_FALSE(h.found);
    CHECK_FALSE(h.succeeded());
  }

  TEST_CASE("/history: success with images, gifs, audio, text and temp previews") {
    const std::string body =
        R"({")" + pid + R"(": {
    "prompt": [3, ")" +
        pid + R"(", {"9": {"class_type": "SaveImage", "inputs": {}}}, {"client_id": "abc"}, ["9", "12", "15"]],
    "outputs": {
      "9": {"images": [{"filename": "ComfyUI_00001_.png", "subfolder": "", "type": "output"},
                       {"filename": "ComfyUI_00002_.png", "subfolder": "", "type": "output"}]},
      "12": {"gifs": [{"filename": "AnimateDiff_00001.mp4", "subfolder": "", "type": "output",
                       "format": "video/h264-mp4", "frame_rate": 8.0, "workflow": "AnimateDiff_00001.png",
                       "fullpath": "/comfy/output/AnimateDiff_00001.mp4"}]},
      "15": {"audio": [{"filename": "ComfyUI_00001_.flac", "subfolder": "audio", "type": "output"}]},
      "18": {"images": [{"filename": "anim_00001_.webp", "subfolder": "", "type": "output"}], "animated": [true]},
      "20": {"text": ["a caption"]},
      "21": {"images": [{"filename": "ComfyUI_temp_xyz_00001_.png", "subfolder": "", "type": "temp"}]},
      "22": {"video": [{"filename": "clip", "subfolder": "v"}]}
    },
    "status": {"status_str": "success", "completed": true, "messages": [
      ["execution_start", {"prompt_id": ")" +
        pid + R"(", "timestamp": 1}],
      ["execution_cached", {"nodes": [], "prompt_id": ")" +
        pid + R"(", "timestamp": 2}],
      ["execution_success", {"prompt_id": ")" +
        pid + R"(", "timestamp": 3}]]},
    "meta": {"9": {"node_id": "9", "display_node": "9", "parent_node": null, "real_node_id": "9"}}}})";
    auto h = parse_history(body, pid);
    CHECK(h.parse_error.empty());
    REQUIRE(h.found);
    CHECK(h.has_status);
    CHECK(h.status_str == "success");
    CHECK(h.completed);
    CHECK(h.succeeded());
    CHECK(h.describe_failure().empty());
    CHECK(h.message_types == std::vector<std::string>{"execution_start", "execution_cached", "execution_success"});
    REQUIRE(h.files.size() == 7);
    CHECK(h.files[0].node_id == "9");
    CHECK(h.files[0].filename == "ComfyUI_00001_.png");
    CHECK(h.files[0].kind == "image");
    CHECK(h.files[1].filename == "ComfyUI_00002_.png");
    CHECK(h.files[2].node_id == "12");
    CHECK(h.files[2].key == "gifs");
    CHECK(h.files[2].kind == "video");
    CHECK(h.files[2].format == "video/h264-mp4");
    CHECK(h.files[3].node_id == "15");
    CHECK(h.files[3].kind == "audio");
    CHECK(h.files[3].subfolder == "audio");
    CHECK(h.files[4].filename == "anim_00001_.webp");
    CHECK(h.files[4].kind == "image");
    CHECK(h.files[5].type == "temp");
    CHECK(h.files[6].kind == "video");  // no extension: from the key
    CHECK(h.files[6].type == "output"); // absent type defaults to output
  }

  TEST_CASE("/history: error and interrupted status with messages") {
    const std::string err = R"({")" + pid + R"(": {"prompt": [], "outputs": {},
    "status": {"status_str": "error", "completed": false, "messages": [
      ["execution_start", {"prompt_id": ")" +
                            pid + R"(", "timestamp": 1}],
      ["execution_error", {"prompt_id": ")" +
                            pid + R"(", "node_id": "3", "node_type": "KSampler",
        "executed": [], "exception_message": "mat1 and mat2 shapes cannot be multiplied\n",
        "exception_type": "RuntimeError", "traceback": [], "current_inputs": {}, "current_outputs": []}]]}}})";
    auto h = parse_history(err, pid);
    REQUIRE(h.found);
    CHECK_FALSE(h.succeeded());
    REQUIRE(h.error.has_value());
    CHECK(h.error->node_id == "3");
    CHECK(h.describe_failure() ==
          "ComfyUI failed the prompt at node 3 (KSampler): RuntimeError: mat1 and mat2 shapes cannot be multiplied.");

    const std::string intr = R"({")" + pid + R"(": {"outputs": {},
    "status": {"status_str": "error", "completed": false, "messages": [
      ["execution_interrupted", {"prompt_id": ")" +
                             pid + R"(", "node_id": "3", "node_type": "KSampler", "executed": []}]]}}})";
    auto i = parse_history(intr, pid);
    CHECK_FALSE(i.succeeded());
    REQUIRE(i.interrupted.has_value());
    CHECK(i.describe_failure() == "ComfyUI interrupted the prompt at node 3 (KSampler).");

    const std::string bare =
        R"({")" + pid + R"(": {"outputs": {}, "status": {"status_str": "error", "completed": false, "messages": []}}})";
    auto b = parse_history(bare, pid);
    CHECK_FALSE(b.succeeded());
    CHECK(b.describe_failure().find("'error'") != std::string::npos);
  }

  TEST_CASE("/history: legacy entry without status, first entry when no id given, garbage") {
    const std::string legacy = R"({")" + pid + R"(": {"prompt": [1, ")" + pid + R"(", {}, {}, ["9"]],
    "outputs": {"9": {"images": [{"filename": "a.png", "subfolder": "", "type": "output"}]}}}})";
    auto h = parse_history(legacy, pid);
    REQUIRE(h.found);
    CHECK_FALSE(h.has_status);
    CHECK(h.completed);
    CHECK(h.succeeded());
    CHECK(h.files.size() == 1);

    auto any = parse_history(legacy, "");
    CHECK(any.found);
    CHECK(any.prompt_id == pid);

    auto other = parse_history(legacy, "some-other-id");
    CHECK_FALSE(other.found);

    for (const std::string& g :
         {std::string("nope"), std::string("[1,2]"), std::string(R"({")" + pid + R"(": 5})"),
          std::string(R"({")" + pid + R"(": {"outputs": [1], "status": "x"}})"), std::string(3000, '{')}) {
      auto r = parse_history(g, pid);
      CHECK_FALSE(r.succeeded());
    }
    auto weird = parse_history(
        R"({")" + pid + R"(": {"outputs": {"9": {"images": [1, "x", null, {"filename": 3}, {"filename": ""}]}}}})",
        pid);
    CHECK(weird.found);
    CHECK(weird.files.empty());
  }

  TEST_CASE("kind guessing") {
    CHECK(guess_kind("images", "x.PNG") == "image");
    CHECK(guess_kind("images", "x.mp4") == "video");
    CHECK(guess_kind("gifs", "x.gif") == "image");
    CHECK(guess_kind("gifs", "x.webm") == "video");
    CHECK(guess_kind("audio", "x.mp3") == "audio");
    CHECK(guess_kind("audio", "x") == "audio");
    CHECK(guess_kind("meshes", "x.glb") == "file");
  }

  TEST_CASE("collect_output_files from an executed output string") {
    std::vector<output_file> files;
    collect_output_files(
        "9", R"({"images": [{"filename": "a.png", "subfolder": "s", "type": "output"}], "animated": [false]})", files);
    REQUIRE(files.size() == 1);
    CHECK(files[0].subfolder == "s");
    collect_output_files("9", "garbage", files);
    CHECK(files.size() == 1);
  }

} // TEST_SUITE
