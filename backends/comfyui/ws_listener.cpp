// The only translation unit that includes websocketpp (heavy): keep it that way.
#include "backends/comfyui/ws_listener.hpp"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

#include <websocketpp/client.hpp>
#include <websocketpp/config/asio_no_tls_client.hpp>

namespace mediagen::comfyui {

namespace {

/// asio_client with a shorter TCP connect / DNS timeout than websocketpp's 5 s default.
struct listener_config : public websocketpp::config::asio_client {
  typedef listener_config type;
  typedef websocketpp::config::asio_client base;

  struct transport_config : public base::transport_config {
    static const long timeout_dns_resolve = 3000;
    static const long timeout_connect = 3000;
  };
  typedef websocketpp::transport::asio::endpoint<transport_config> transport_type;
};

using client_type = websocketpp::client<listener_config>;
using message_ptr = client_type::message_ptr;
using connection_ptr = client_type::connection_ptr;

std::string describe_error(const websocketpp::lib::error_code& ec) {
  std::string s = ec.message();
  if (!s.empty()) s[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[0])));
  return s;
}

} // namespace

struct ws_listener::impl {
  // ---- fixed at construction -------------------------------------------------------------
  base_url base;
  std::string client_id;
  std::string uri; ///< ws://.../ws?clientId=...
  frame_callback on_frame;
  state_callback on_state;
  binary_callback on_binary; ///< set before start(), read only on the listener thread
  ws_options options;

  // ---- shared, guarded by `mutex` --------------------------------------------------------
  mutable std::mutex mutex;
  mutable std::condition_variable cv;
  bool started = false;
  bool stopping = false;    ///< stop() has begun: no new callbacks, no retries
  bool io_finished = false; ///< the thread left its run loop
  ws_stats st;

  // ---- listener thread only ---------------------------------------------------------------
  client_type endpoint;
  websocketpp::connection_hdl current; ///< the connection being attempted or open
  client_type::timer_ptr retry_timer;
  client_type::timer_ptr ping_timer;
  std::chrono::milliseconds backoff;
  std::optional<bool> reported; ///< last state given to on_state
  bool endpoint_ready = false;
  bool awaiting_pong = false; ///< a ping went out and its pong has not come back

  std::thread thread;
  std::mutex join_mutex; ///< serializes concurrent stop() calls around join()

  impl(base_url u, std::string id, frame_callback f, state_callback s, ws_options o)
      : base(std::move(u)), client_id(std::move(id)), uri(base.ws_url(client_id)), on_frame(std::move(f)),
        on_state(std::move(s)), options(o), backoff(o.initial_backoff) {
    if (options.initial_backoff.count() <= 0) options.initial_backoff = std::chrono::milliseconds(1);
    if (options.max_backoff < options.initial_backoff) options.max_backoff = options.initial_backoff;
    backoff = options.initial_backoff;
    st.next_backoff = backoff;
    try {
      endpoint.clear_access_channels(websocketpp::log::alevel::all);
      endpoint.clear_error_channels(websocketpp::log::elevel::all);
      endpoint.init_asio();
      endpoint.set_open_handshake_timeout(options.connect_timeout.count());
      endpoint.set_close_handshake_timeout(options.close_timeout.count());
      if (options.ping_interval.count() > 0) endpoint.set_pong_timeout(options.pong_timeout.count());
      endpoint.set_user_agent("mediagen");
      endpoint.set_open_handler([this](websocketpp::connection_hdl h) { handle_open(h); });
      endpoint.set_fail_handler([this](websocketpp::connection_hdl h) { handle_fail(h); });
      endpoint.set_close_handler([this](websocketpp::connection_hdl h) { handle_close(h); });
      endpoint.set_message_handler([this](websocketpp::connection_hdl h, message_ptr m) { handle_message(h, m); });
      endpoint.set_pong_handler([this](websocketpp::connection_hdl h, std::string) {
        if (is_current(h)) awaiting_pong = false;
        return;
      });
      endpoint.set_pong_timeout_handler([this](websocketpp::connection_hdl h, std::string) { handle_pong_timeout(h); });
      endpoint_ready = true;
    } catch (const std::exception& e) {
      st.last_error = std::string("The WebSocket client could not be set up: ") + e.what() + ".";
    }
  }

  bool is_stopping() const {
    std::lock_guard<std::mutex> lock(mutex);
    return stopping;
  }

  void record_error(const std::string& e) {
    std::lock_guard<std::mutex> lock(mutex);
    st.last_error = e;
  }

  // ---- callbacks into the owner (listener thread) -----------------------------------------

  void report_state(bool connected, const std::string& detail) {
    if (reported && *reported == connected) return;
    if (is_stopping()) return;
    reported = connected;
    if (!on_state) return;
    try {
      on_state(connected, detail);
    } catch (const std::exception& e) {
      record_error(std::string("The state callback threw: ") + e.what() + ".");
    } catch (...) {
      record_error("The state callback threw a non-standard exception.");
    }
  }

  void deliver(const ws_frame& frame) {
    if (!on_frame || is_stopping()) return;
    try {
      on_frame(frame);
    } catch (const std::exception& e) {
      record_error(std::string("The frame callback threw: ") + e.what() + ".");
    } catch (...) {
      record_error("The frame callback threw a non-standard exception.");
    }
  }

  void deliver_binary(std::string_view bytes) {
    if (!on_binary || is_stopping()) return;
    try {
      on_binary(bytes);
    } catch (const std::exception& e) {
      record_error(std::string("The binary frame callback threw: ") + e.what() + ".");
    } catch (...) {
      record_error("The binary frame callback threw a non-standard exception.");
    }
  }

  // ---- connection life (listener thread) ---------------------------------------------------

  bool is_current(websocketpp::connection_hdl h) const { return !current.owner_before(h) && !h.owner_before(current); }

  void connect_once() {
    if (is_stopping()) return;
    {
      std::lock_guard<std::mutex> lock(mutex);
      ++st.attempts;
    }
    websocketpp::lib::error_code ec;
    connection_ptr con = endpoint.get_connection(uri, ec);
    if (ec) {
      const std::string why = "ComfyUI's WebSocket " + uri + " cannot be opened: " + describe_error(ec) + ".";
      {
        std::lock_guard<std::mutex> lock(mutex);
        ++st.failures;
        st.last_error = why;
      }
      report_state(false, why);
      schedule_retry();
      return;
    }
    current = con->get_handle();
    endpoint.connect(con);
  }

  void schedule_retry() {
    if (is_stopping()) return;
    const auto delay = backoff;
    backoff = std::min(backoff * 2, options.max_backoff);
    {
      std::lock_guard<std::mutex> lock(mutex);
      st.next_backoff = backoff;
    }
    retry_timer = endpoint.set_timer(delay.count(), [this](const websocketpp::lib::error_code& ec) {
      if (ec) return; // cancelled by stop()
      connect_once();
    });
  }

  void schedule_ping() {
    if (options.ping_interval.count() <= 0) return;
    ping_timer = endpoint.set_timer(options.ping_interval.count(),
                                    [this, h = current](const websocketpp::lib::error_code& ec) {
                                      if (ec || is_stopping() || !is_current(h)) return;
                                      websocketpp::lib::error_code pec;
                                      auto con = endpoint.get_con_from_hdl(h, pec);
                                      if (pec || con->get_state() != websocketpp::session::state::open) return;
                                      // websocketpp restarts the pong timer on every ping: while
                                      // one is outstanding, do not send another.
                                      if (!awaiting_pong) {
                                        awaiting_pong = true;
                                        con->ping("", pec);
                                      }
                                      schedule_ping();
                                    });
  }

  void handle_open(websocketpp::connection_hdl h) {
    if (!is_current(h)) return;
    backoff = options.initial_backoff;
    awaiting_pong = false;
    {
      std::lock_guard<std::mutex> lock(mutex);
      st.connected = true;
      ++st.connects;
      st.next_backoff = backoff;
    }
    cv.notify_all();
    report_state(true, "");
    schedule_ping();
  }

  void handle_fail(websocketpp::connection_hdl h) {
    if (!is_current(h)) return;
    std::string why = "ComfyUI's WebSocket " + uri + " is unreachable";
    websocketpp::lib::error_code ec;
    if (auto con = endpoint.get_con_from_hdl(h, ec)) {
      const auto code = con->get_ec();
      if (code) why += ": " + describe_error(code);
      const int status = con->get_response_code();
      if (status != 0 && status != 101) why += " (HTTP " + std::to_string(status) + ")";
    }
    why += ".";
    {
      std::lock_guard<std::mutex> lock(mutex);
      ++st.failures;
      st.connected = false;
      st.last_error = why;
    }
    report_state(false, why);
    schedule_retry();
  }

  void handle_close(websocketpp::connection_hdl h) {
    if (!is_current(h)) return;
    if (ping_timer) ping_timer->cancel();
    std::string why = "ComfyUI's WebSocket " + uri + " closed";
    websocketpp::lib::error_code ec;
    if (auto con = endpoint.get_con_from_hdl(h, ec)) {
      const auto code = con->get_remote_close_code();
      const std::string reason = con->get_remote_close_reason();
      if (code != websocketpp::close::status::blank && code != websocketpp::close::status::no_status) {
        why += " with code " + std::to_string(code);
      }
      if (!reason.empty()) why += " (" + reason + ")";
      const auto local = con->get_ec();
      if (local && code == websocketpp::close::status::abnormal_close) why += ": " + describe_error(local);
    }
    why += ".";
    {
      std::lock_guard<std::mutex> lock(mutex);
      st.connected = false;
      ++st.drops;
      st.last_error = why;
    }
    cv.notify_all();
    report_state(false, why);
    schedule_retry();
  }

  void handle_message(websocketpp::connection_hdl, message_ptr msg) {
    if (msg->get_opcode() == websocketpp::frame::opcode::text) {
      ws_frame frame = parse_ws_text(msg->get_payload());
      {
        std::lock_guard<std::mutex> lock(mutex);
        ++st.text_frames;
        if (auto u = std::get_if<unknown_frame>(&frame); u && !u->error.empty()) ++st.malformed_frames;
      }
      deliver(frame);
    } else {
      // Preview images and other binary events (preview_frame.hpp): counted, then handed on.
      {
        std::lock_guard<std::mutex> lock(mutex);
        ++st.binary_frames;
      }
      deliver_binary(msg->get_payload());
    }
  }

  void handle_pong_timeout(websocketpp::connection_hdl h) {
    if (!is_current(h)) return;
    websocketpp::lib::error_code ec;
    auto con = endpoint.get_con_from_hdl(h, ec);
    if (ec) return;
    // The close handshake times out after close_timeout against a dead peer, then the close
    // handler runs and schedules the reconnect.
    con->close(websocketpp::close::status::going_away, "no pong", ec);
    if (ec) con->terminate(ec);
  }

  /// Runs on the listener thread when stop() begins.
  void shutdown_on_io_thread() {
    endpoint.stop_perpetual();
    if (retry_timer) retry_timer->cancel();
    if (ping_timer) ping_timer->cancel();
    websocketpp::lib::error_code ec;
    auto con = endpoint.get_con_from_hdl(current, ec);
    if (!ec && con && con->get_state() == websocketpp::session::state::open) {
      con->close(websocketpp::close::status::going_away, "mediagen stopping", ec);
      if (!ec) return; // run() returns once the close handshake ends (or times out)
    }
    endpoint.stop(); // connecting or idle: nothing to be polite to
  }

  void run() {
    endpoint.start_perpetual();
    connect_once();
    for (;;) {
      try {
        endpoint.run();
        break;
      } catch (const std::exception& e) {
        record_error(std::string("The WebSocket loop failed: ") + e.what() + ".");
      } catch (...) {
        record_error("The WebSocket loop failed with a non-standard exception.");
      }
      if (is_stopping()) break;
    }
    {
      std::lock_guard<std::mutex> lock(mutex);
      io_finished = true;
      st.connected = false;
      st.running = false;
    }
    cv.notify_all();
  }
};

ws_listener::ws_listener(base_url url, std::string client_id, frame_callback on_frame, state_callback on_state,
                         ws_options options)
    : impl_(std::make_unique<impl>(std::move(url), std::move(client_id), std::move(on_frame), std::move(on_state),
                                   options)) {}

ws_listener::~ws_listener() {
  if (!impl_) return;
  if (impl_->thread.joinable() && impl_->thread.get_id() == std::this_thread::get_id()) {
    // Destroyed from its own callback: it cannot join itself. Stop it and let the thread
    // finish on its own; the state is leaked rather than freed under the running thread.
    stop();
    impl_->thread.detach();
    impl_.release();
    return;
  }
  stop();
}

void ws_listener::set_binary_callback(binary_callback on_binary) { impl_->on_binary = std::move(on_binary); }

bool ws_listener::start() {
  impl& d = *impl_;
  std::string refusal;
  {
    std::lock_guard<std::mutex> lock(d.mutex);
    if (d.started) return !d.stopping;
    if (d.stopping) return false;
    if (d.base.scheme != "http") {
      refusal = "ComfyUI's WebSocket " + d.uri + " needs TLS, which this client does not speak.";
    } else if (!d.endpoint_ready) {
      refusal = d.st.last_error;
    }
    if (!refusal.empty()) {
      d.st.last_error = refusal;
    } else {
      d.started = true;
      d.st.running = true;
    }
  }
  if (!refusal.empty()) {
    if (d.on_state) {
      try {
        d.on_state(false, refusal);
      } catch (...) {}
    }
    return false;
  }
  d.thread = std::thread([&d] { d.run(); });
  return true;
}

void ws_listener::stop() {
  impl& d = *impl_;
  bool post = false;
  {
    std::lock_guard<std::mutex> lock(d.mutex);
    if (!d.stopping) {
      d.stopping = true; // from here on: no new callbacks, no retries
      post = d.started;
    }
  }
  d.cv.notify_all(); // wake wait_connected() callers
  if (post) {
    websocketpp::lib::asio::post(d.endpoint.get_io_service(), [&d] { d.shutdown_on_io_thread(); });
  }
  if (d.thread.get_id() == std::this_thread::get_id()) return; // called from a callback

  std::lock_guard<std::mutex> join_lock(d.join_mutex);
  if (!d.thread.joinable()) return;
  {
    std::unique_lock<std::mutex> lock(d.mutex);
    const auto grace = d.options.close_timeout + std::chrono::milliseconds(500);
    if (!d.cv.wait_for(lock, grace, [&d] { return d.io_finished; })) {
      lock.unlock();
      d.endpoint.stop(); // the peer did not finish the close handshake in time
    }
  }
  d.thread.join();
}

bool ws_listener::wait_connected(std::chrono::milliseconds timeout) const {
  impl& d = *impl_;
  std::unique_lock<std::mutex> lock(d.mutex);
  d.cv.wait_for(lock, timeout, [&d] { return d.st.connected || d.stopping; });
  return d.st.connected && !d.stopping;
}

bool ws_listener::connected() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->st.connected && !impl_->stopping;
}

ws_stats ws_listener::stats() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  ws_stats s = impl_->st;
  if (impl_->stopping) s.connected = false;
  return s;
}

const std::string& ws_listener::url() const { return impl_->uri; }

const std::string& ws_listener::client_id() const { return impl_->client_id; }

} // namespace mediagen::comfyui
