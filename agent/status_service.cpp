#include "agent/status_service.hpp"

#include <unistd.h>

#include "agent/job_metrics.hpp"
#include "agent/logging.hpp"
#include "agent/status_page.hpp"
#include "rendezvous/store_server.hpp"

namespace dlaunch::agent {
namespace asio = boost::asio;
using rendezvous::HttpRequest;
using rendezvous::HttpResponse;
using rendezvous::HttpRoutes;

namespace {

// `/status?node=N`: only that node's ranks.
void keep_node(nlohmann::json& doc, int node_rank) {
  if (!doc.contains("ranks")) return;
  nlohmann::json kept = nlohmann::json::array();
  for (auto& r : doc["ranks"]) {
    if (r.value("node_rank", -1) == node_rank) kept.push_back(std::move(r));
  }
  doc["ranks"] = std::move(kept);
}

HttpResponse probe(bool ok, const std::string& check, const std::string& detail, bool verbose) {
  // Kubernetes' convention: the status code is for machines, ?verbose for people.
  std::string body = ok ? "ok\n" : check + " failed: " + detail + "\n";
  if (verbose)
    body =
        std::string(ok ? "[+]" : "[-]") + check + (ok ? " ok" : " failed: " + detail) + "\n" + body;
  return HttpResponse::text(ok ? 200 : 503, body);
}

}  // namespace

StatusService::StatusService(asio::io_context& io, Options options, Inputs inputs)
    : io_(io),
      options_(std::move(options)),
      inputs_(std::move(inputs)),
      routes_(std::make_shared<HttpRoutes>(options_.token)),
      node_routes_(std::make_shared<HttpRoutes>(options_.token)) {
  add_routes(*routes_, true);
  add_routes(*node_routes_, false);
}

StatusService::~StatusService() {
  close();
}

void StatusService::add_routes(HttpRoutes& routes, bool job_scope) {
  routes.add("/livez", HttpRoutes::Access::kOpen, HttpRoutes::SyncHandler([](const HttpRequest& r) {
               // Answering at all is the check: the agent's loop runs.
               return probe(true, "loop", "", r.has("verbose"));
             }));
  routes.add("/readyz", HttpRoutes::Access::kOpen,
             HttpRoutes::SyncHandler([this, job_scope](const HttpRequest& r) {
               std::string why;
               const bool ready = workers_ready(inputs_(job_scope, scratch_), &why);
               return probe(ready, "workers", why, r.has("verbose"));
             }));
  routes.add("/status", HttpRoutes::Access::kToken,
             HttpRoutes::SyncHandler([this, job_scope](const HttpRequest& r) {
               const bool ranks = r.get("ranks", "1") != "0";
               auto doc = status_document(inputs_(job_scope, scratch_), ranks);
               if (r.has("node")) {
                 try {
                   keep_node(doc, std::stoi(r.get("node")));
                 } catch (const std::exception&) {
                   return HttpResponse::text(400, "node=N takes a node rank\n");
                 }
               }
               return HttpResponse::json(
                   doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
             }));
  routes.add("/metrics", HttpRoutes::Access::kToken,
             HttpRoutes::SyncHandler([this, job_scope](const HttpRequest&) {
               HttpResponse response;
               response.content_type = kMetricsContentType;
               response.body = metrics_text(inputs_(job_scope, scratch_));
               return response;
             }));
  routes.add("/", HttpRoutes::Access::kToken, HttpRoutes::SyncHandler([](const HttpRequest&) {
               HttpResponse response;
               response.content_type = "text/html; charset=utf-8";
               response.body = std::string(status_page_html());
               return response;
             }));
}

void StatusService::start(AgentEndpoint self) {
  self_ = std::move(self);
  if (options_.local_socket) {
    try {
      local_ = rendezvous::HttpServer::listen_local(io_, make_local_socket_name(), routes_);
      self_.local = "unix:@" + local_->local_name();
    } catch (const std::exception& e) {
      log().warn("{}: `dlaunch status` will not find this agent locally", e.what());
    }
  }
  if (options_.health_port) {
    try {
      health_ = rendezvous::HttpServer::listen_tcp(
          io_, rendezvous::Endpoint{options_.health_bind, *options_.health_port}, node_routes_);
      self_.health_url = "http://" + self_.host + ":" + std::to_string(health_->port()) + "/";
      log().info(
          "health check, metrics and status of this node on port {} "
          "(TORCHELASTIC_HEALTH_CHECK_PORT)",
          health_->port());
    } catch (const std::exception& e) {
      log().warn("TORCHELASTIC_HEALTH_CHECK_PORT: {}; the job runs without it", e.what());
    }
  }
  write_endpoint_file();
}

void StatusService::serve_on(rendezvous::StoreServer& store) {
  store.serve_http(routes_);
}

void StatusService::update(int node_rank, const std::string& status_url, bool serves_job) {
  if (self_.node_rank == node_rank && self_.status_url == status_url &&
      self_.serves_job == serves_job) {
    return;
  }
  self_.node_rank = node_rank;
  self_.status_url = status_url;
  self_.serves_job = serves_job;
  write_endpoint_file();
}

void StatusService::write_endpoint_file() {
  if (options_.log_dir.empty() || closed_) return;
  try {
    write_endpoint(options_.log_dir, self_);
    file_written_ = true;
  } catch (const std::exception& e) {
    log().warn("cannot write this agent's endpoint file in {}: {}", options_.log_dir.string(),
               e.what());
  }
}

void StatusService::close() {
  if (closed_) return;
  closed_ = true;
  if (local_) local_->close();
  if (health_) health_->close();
  if (file_written_) {
    std::error_code ignored;
    std::filesystem::remove(endpoint_file(options_.log_dir, self_.host, self_.pid), ignored);
  }
}

}  // namespace dlaunch::agent
