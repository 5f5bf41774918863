#include "rendezvous/http_connection.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include "rendezvous/logging.hpp"

namespace dlaunch::rendezvous {
namespace asio = boost::asio;
namespace http = boost::beast::http;

namespace {

std::string percent_decode(std::string_view text, bool plus_is_space) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && hex(text[i + 1]) >= 0 && hex(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2])));
      i += 2;
    } else if (plus_is_space && text[i] == '+') {
      out.push_back(' ');
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

const char* reason_of(int status) {
  return http::obsolete_reason(static_cast<http::status>(status)).data();
}

}  // namespace

void split_target(const std::string& target, std::string& path,
                  std::map<std::string, std::string>& query) {
  const auto mark = target.find('?');
  path = percent_decode(std::string_view(target).substr(0, mark), false);
  query.clear();
  if (mark == std::string::npos) return;
  std::string_view rest = std::string_view(target).substr(mark + 1);
  if (const auto hash = rest.find('#'); hash != std::string_view::npos) rest = rest.substr(0, hash);
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const std::string_view item = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    if (item.empty()) continue;
    const auto eq = item.find('=');
    query[percent_decode(item.substr(0, eq), true)] =
        eq == std::string_view::npos ? std::string() : percent_decode(item.substr(eq + 1), true);
  }
}

HttpConnection::HttpConnection(std::shared_ptr<HttpService> service, HttpService::Socket socket,
                               std::uint64_t id, std::string peer, bool trusted,
                               std::string initial)
    : service_(std::move(service)),
      socket_(std::move(socket)),
      id_(id),
      peer_(std::move(peer)),
      trusted_(trusted),
      deadline_(service_->io()) {
  if (!initial.empty()) {
    auto room = buffer_.prepare(initial.size());
    asio::buffer_copy(room, asio::buffer(initial));
    buffer_.commit(initial.size());
  }
}

void HttpConnection::start() {
  read_next(service_->limits().request_timeout);
}

void HttpConnection::refuse() {
  auto r = HttpResponse::text(503, "too many HTTP connections; try again\n");
  r.headers.emplace_back("Retry-After", "1");
  send(std::move(r), false);
}

void HttpConnection::arm(std::chrono::milliseconds timeout) {
  deadline_.expires_after(timeout);
  // Holds the connection: while a route works on its answer, nothing else does.
  deadline_.async_wait([self = shared_from_this()](const boost::system::error_code& error) {
    if (error || self->closed_) return;
    if (self->answering_) {
      // The route did not answer in time: say so, and drop its late answer.
      self->service_->count_error();
      self->answering_ = false;
      self->send(HttpResponse::text(504, "no answer in time\n"), false);
      return;
    }
    self->close();  // a request that never finishes, or an answer nobody reads
  });
}

void HttpConnection::read_next(std::chrono::milliseconds timeout) {
  if (closed_) return;
  parser_.emplace();
  parser_->header_limit(static_cast<std::uint32_t>(service_->limits().header_bytes));
  parser_->body_limit(service_->limits().body_bytes);
  arm(timeout);
  http::async_read(socket_, buffer_, *parser_,
                   [self = shared_from_this()](const boost::system::error_code& error,
                                               std::size_t) { self->on_read(error); });
}

void HttpConnection::on_read(const boost::system::error_code& error) {
  if (closed_) return;
  if (error) {
    deadline_.cancel();
    int status = 0;
    if (error == http::error::header_limit) {
      status = 431;
    } else if (error == http::error::body_limit) {
      status = 413;
    } else if (error.category() == http::make_error_code(http::error::bad_target).category() &&
               error != http::error::end_of_stream && error != http::error::partial_message) {
      status = 400;
    }
    if (status == 0) return close();  // the peer went away, or the deadline closed it
    service_->count_error();
    log().debug("http: {}: {}", peer_, error.message());
    return send(HttpResponse::text(status, error.message() + "\n"), false);
  }
  handle();
}

void HttpConnection::handle() {
  const auto& message = parser_->get();
  request_ = HttpRequest{};
  request_.method = std::string(message.method_string());
  request_.target = std::string(message.target());
  split_target(request_.target, request_.path, request_.query);
  if (auto it = message.find(http::field::authorization); it != message.end()) {
    request_.authorization = std::string(it->value());
  }
  if (auto it = message.find(http::field::accept); it != message.end()) {
    request_.accept = std::string(it->value());
  }
  request_.peer = peer_;
  request_.trusted_peer = trusted_;
  keep_alive_ = message.keep_alive() && ++served_ < service_->limits().max_requests;
  head_ = message.method() == http::verb::head;

  answering_ = true;
  const std::uint64_t seq = ++seq_;
  arm(service_->limits().handler_timeout);
  service_->routes().dispatch(request_, [weak = weak_from_this(), seq](HttpResponse response) {
    if (auto self = weak.lock()) self->on_answer(seq, std::move(response));
  });
}

void HttpConnection::on_answer(std::uint64_t seq, HttpResponse response) {
  if (closed_ || !answering_ || seq != seq_) return;
  answering_ = false;
  service_->count_request();
  send(std::move(response), keep_alive_);
}

void HttpConnection::send(HttpResponse response, bool keep_alive) {
  if (closed_) return;
  out_ = std::make_shared<http::response<Body>>(static_cast<http::status>(response.status), 11);
  auto& res = *out_;
  if (res.reason().empty()) res.reason(reason_of(response.status));
  res.set(http::field::server, "dlaunch");
  res.set(http::field::content_type, response.content_type);
  res.set(http::field::cache_control, "no-store");
  for (const auto& [name, value] : response.headers) res.insert(name, value);
  res.keep_alive(keep_alive);
  const auto size = response.body.size();
  if (!head_) res.body() = std::move(response.body);
  res.content_length(size);
  arm(service_->limits().write_timeout);
  http::async_write(
      socket_, res,
      [self = shared_from_this(), keep_alive](const boost::system::error_code& error, std::size_t) {
        self->on_written(error, keep_alive);
      });
}

void HttpConnection::on_written(const boost::system::error_code& error, bool keep_alive) {
  out_.reset();
  if (closed_) return;
  deadline_.cancel();
  if (error || !keep_alive) {
    if (!error) {
      boost::system::error_code ignored;
      socket_.shutdown(asio::socket_base::shutdown_send, ignored);
    }
    return close();
  }
  head_ = false;
  read_next(service_->limits().idle_timeout);
}

void HttpConnection::close() {
  if (closed_) return;
  closed_ = true;
  answering_ = false;
  deadline_.cancel();
  boost::system::error_code ignored;
  socket_.close(ignored);
  service_->forget(id_);
}

}  // namespace dlaunch::rendezvous
