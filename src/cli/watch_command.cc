// `conveyor watch`: the retraining triggers of `conveyor serve` as a process
// of their own, for teams that do not want them inside the model server:
// Alertmanager's webhook (POST /hooks/alertmanager, with --retrain-on) and/or
// a cron schedule (--retrain-schedule) start a retraining run — a shell
// command or a CI pipeline — one at a time, under the same rules
// (serving/retrain_trigger.h).
//
// With --retrain-on it serves HTTP: POST /hooks/alertmanager (role feedback
// or admin) and GET /healthz (open), one JSON access-log line per request on
// stderr. With only a schedule it opens no port. SIGTERM or SIGINT stop it;
// a run in progress gets the signal too (its process group) and is waited
// for.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <thread>

#include "cli/commands.h"
#include "cli/console.h"
#include "cli/retrain_flags.h"
#include "cli/server_access.h"
#include "common/subprocess.h"
#include "serving/access_control.h"
#include "serving/access_log.h"
#include "serving/http_server.h"
#include "serving/request_authorizer.h"
#include "serving/router.h"

namespace conveyor::cli {

namespace {

using namespace std::chrono_literals;

class WatchCommand : public Command {
 public:
  std::string_view Name() const override { return "watch"; }
  std::string_view Summary() const override {
    return "Start retraining runs on alerts and schedules, without a model server";
  }

  void Configure(CLI::App& app) override {
    options_.port = 9095;
    retrain_.Add(app);
    app.add_option("--host", options_.address, "Address to listen on for the webhook")
        ->capture_default_str();
    app.add_option("-p,--port", options_.port, "Port to listen on for the webhook")
        ->capture_default_str();
    app.add_option("--tokens", tokens_file_,
                   "Bearer tokens allowed to call the webhook: a token file (see 'conveyor "
                   "token'). Adds to CONVEYOR_TOKENS")
        ->type_name("FILE");
    app.add_flag("--no-auth", no_auth_,
                 "Accept the webhook without a token (local use only: anyone who can reach the "
                 "port can start a run)");
    app.footer(
        "Examples:\n"
        "  conveyor watch --retrain-on ConveyorInputDrift --retrain-on ConveyorLiveAccuracyLow \\\n"
        "      --retrain-command 'conveyor repro && conveyor model promote digits@latest \\\n"
        "      production --if-better accuracy' --tokens .conveyor/tokens -p 9095\n"
        "  conveyor watch --retrain-schedule '0 3 * * *' --retrain-pipeline gitlab:42@main\n"
        "  conveyor watch --retrain-schedule @weekly \\\n"
        "      --retrain-pipeline github:acme/digits/retrain.yml@main\n"
        "\n"
        "Point Alertmanager's webhook_configs at http://HOST:PORT/hooks/alertmanager with a\n"
        "token of role feedback (docs/serving.md). Runs' output: .conveyor/retrain/.");
  }

  Status Run(const GlobalOptions& global, Console& console) override {
    RETURN_IF_ERROR(retrain_.Check(global));
    if (!retrain_.Configured()) {
      return Error(Code::kUsage,
                   "nothing to watch for: give --retrain-on ALERT and/or --retrain-schedule CRON, "
                   "with --retrain-command CMD or --retrain-pipeline TARGET");
    }
    const bool hook = !retrain_.alerts.empty();
    if (hook) {
      ASSIGN_OR_RETURN(tokens_, LoadServerTokens(global, console, "watch", no_auth_, tokens_file_));
    } else if (no_auth_ || !tokens_file_.empty()) {
      return Error(Code::kUsage, "{} is for the webhook, which only --retrain-on serves",
                   no_auth_ ? "--no-auth" : "--tokens");
    }
    ASSIGN_OR_RETURN(std::unique_ptr<RetrainSetup> setup, RetrainSetup::Build(retrain_, console));
    console.Note(setup->description());
    InstallInterruptHandlers();

    serving::Router router;
    serving::AccessPolicy policy = serving::DefaultAccessPolicy();
    std::optional<serving::RouteAuthorizer> authorizer;
    serving::AccessLog access_log(std::cerr);
    std::optional<serving::HttpServer> server;
    if (hook) {
      RETURN_IF_ERROR(setup->alert_hook()->AddRoutes(router));
      RETURN_IF_ERROR(router.Add("GET", "/healthz", "healthz", [](serving::HttpRequest&) {
        return serving::JsonResponse(R"({"status":"ok"})");
      }));
      authorizer.emplace(tokens_, policy, router);
      options_.authorizer = no_auth_ ? nullptr : &*authorizer;
      server.emplace(router, std::vector<serving::RequestObserver*>{&access_log});
      RETURN_IF_ERROR(server->Start(options_));
      console.Note(fmt::format("Listening on http://{}:{} (POST /hooks/alertmanager, GET /healthz)",
                               options_.address, server->port()));
      if (no_auth_) {
        console.Warn(fmt::format(
            "authentication is off (--no-auth): anyone who can reach port {} can start a run",
            server->port()));
      }
    }
    while (InterruptSignal() == 0)
      std::this_thread::sleep_for(50ms);
    console.Note("Shutting down");
    if (server.has_value()) {
      server->Stop(std::chrono::seconds(5));
      server->Wait();
    }
    setup.reset();  // waits for a run in progress
    console.Note("Stopped.");
    return OkStatus();
  }

 private:
  RetrainFlags retrain_;
  serving::HttpServerOptions options_;
  std::string tokens_file_;
  bool no_auth_ = false;
  serving::TokenStore tokens_;
};

}  // namespace

std::unique_ptr<Command> MakeWatchCommand() { return std::make_unique<WatchCommand>(); }

}  // namespace conveyor::cli
