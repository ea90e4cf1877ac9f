// `conveyor serve`: the model service — the paper's /predict,
// /get_experiment_metas and /replace_ml_model, plus /healthz and /readyz,
// the KServe V2 routes, the API's own description (/openapi.json, and
// Swagger UI at /docs), and Prometheus metrics (/metrics).
#include <fmt/ranges.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cmath>
#include <iostream>
#include <optional>
#include <thread>

#include "cache/object_store.h"
#include "cli/commands.h"
#include "cli/registry_commands.h"
#include "cli/remote_serving.h"
#include "cli/retrain_flags.h"
#include "cli/server_access.h"
#include "cli/version.h"
#include "common/environment.h"
#include "common/subprocess.h"
#include "experiments/registry_location.h"
#include "ml/backend_threads.h"
#include "registry/alias_listener.h"
#include "registry/model_ref.h"
#include "serving/access_control.h"
#include "serving/access_log.h"
#include "serving/alias_follower.h"
#include "serving/api_docs.h"
#include "serving/audit_log.h"
#include "serving/feedback_service.h"
#include "serving/feedback_tracker.h"
#include "serving/http_server.h"
#include "serving/kserve_v2.h"
#include "serving/metrics.h"
#include "serving/model_loader.h"
#include "serving/model_manager.h"
#include "serving/model_service.h"
#include "serving/openapi.h"
#include "serving/prediction_log.h"
#include "serving/retrain_trigger.h"
#include "serving/serve_routes.h"
#include "serving/tls_credentials.h"
#include "serving/token_store.h"

namespace conveyor::cli {

namespace {

using namespace std::chrono_literals;

class ServeCommand : public Command {
 public:
  std::string_view Name() const override { return "serve"; }
  std::string_view Summary() const override {
    return "Serve a registered model over HTTP (/predict, /replace_ml_model, ...)";
  }
  void Configure(CLI::App& app) override {
    app.add_option("-m,--model", model_,
                   "NAME, NAME@ALIAS, NAME@TAG or NAME@VERSION (default: the latest version of "
                   "the model conveyor.yaml declares)");
    AddRegistryFlag(app, registry_);
    app.add_option("--remote", remote_.remote,
                   "Serve from a data remote with no project checkout: a URL (s3://bucket/path, "
                   "ssh://host/path, a folder) or a project remote's name. Experiments, versions "
                   "and aliases come from what 'conveyor push' uploaded");
    app.add_option("--remote-option", remote_.options,
                   "KEY=VALUE option for a --remote URL, as in .dvc/config (e.g. "
                   "endpointurl=http://127.0.0.1:9000); repeatable");
    app.add_option("--state-dir", remote_.state_dir,
                   "With --remote: where the mirror of the remote's registry and models is kept "
                   "(default: ~/.cache/conveyor/remotes/<hash of the URL>)");
    app.add_option("--host", options_.address, "Address to listen on")->capture_default_str();
    app.add_option("-p,--port", options_.port, "TCP port (0: any free port)")
        ->capture_default_str();
    app.add_option("--threads", options_.threads, "Request threads (default: one per core)")
        ->check(CLI::Range(0, 256));
    app.add_option("--max-body", options_.body_limit, "Largest request body in bytes (413 beyond)")
        ->capture_default_str();
    app.add_option("--backend-threads", backend_threads_,
                   "Threads one prediction may use inside the backend (XGBoost OpenMP, OpenCV); "
                   "0: the library default (all cores). Parallelism comes from --threads")
        ->capture_default_str()
        ->check(CLI::Range(0, 256));
    app.add_option("--batch-size", batch_.max_batch,
                   "Run up to N concurrent requests as one backend call (1: no batching)")
        ->capture_default_str()
        ->check(CLI::Range(1, 4096));
    app.add_option("--batch-delay-us", batch_delay_us_,
                   "With --batch-size > 1: longest a request waits for others to join its batch")
        ->capture_default_str()
        ->check(CLI::Range(0, 1000000));
    app.add_option("--grace", grace_seconds_,
                   "Seconds to let in-flight requests finish on SIGTERM/SIGINT")
        ->capture_default_str();
    app.add_option("--tokens", tokens_file_,
                   "Bearer tokens allowed to call the server: a token file (NAME ROLE "
                   "sha256:HEX per line; see 'conveyor token'). Adds to CONVEYOR_TOKENS")
        ->type_name("FILE");
    app.add_flag("--no-auth", no_auth_,
                 "Serve without authentication (local use only: anyone who can reach the port "
                 "can predict and replace the model)");
    app.add_option("--tls-cert", tls_paths_.certificate,
                   "Serve HTTPS with this certificate chain (PEM, server certificate first); "
                   "needs --tls-key. SIGHUP re-reads both")
        ->type_name("FILE");
    app.add_option("--tls-key", tls_paths_.key,
                   "The certificate's private key (PEM, unencrypted); needs --tls-cert")
        ->type_name("FILE");
    app.add_flag("--metrics-auth", metrics_auth_,
                 "GET /metrics needs a token (any role) instead of being open");
    app.add_flag("--no-metrics", no_metrics_,
                 "Serve no GET /metrics and keep no metrics (Prometheus's format; on by default)");
    app.add_option("--drift-window", drift_.window,
                   "Drift: compare the last N predicted rows with the model's training "
                   "statistics (PSI gauges on /metrics)")
        ->capture_default_str()
        ->check(CLI::Range(size_t{1}, size_t{1000000}));
    app.add_option("--drift-min-samples", drift_.min_samples,
                   "Drift: export PSI only once the window holds N rows (at most --drift-window)")
        ->capture_default_str()
        ->check(CLI::Range(size_t{1}, size_t{1000000}));
    app.add_option("--feedback-window", feedback_.window,
                   "Feedback: live accuracy over the last N labelled predictions of the served "
                   "version (POST /feedback; conveyor_live_accuracy on /metrics)")
        ->capture_default_str()
        ->check(CLI::Range(size_t{1}, size_t{1000000}));
    app.add_option("--feedback-min-outcomes", feedback_min_outcomes_,
                   "Feedback: export the accuracy gauges once the window holds N outcomes")
        ->capture_default_str()
        ->check(CLI::Range(size_t{1}, size_t{1000000}));
    app.add_option("--feedback-memory", feedback_.max_remembered,
                   "Feedback: predictions remembered by request id for joining (the oldest "
                   "are forgotten first, and any older than a day)")
        ->capture_default_str()
        ->check(CLI::Range(size_t{1}, size_t{10000000}));
    app.add_flag("--no-feedback", no_feedback_,
                 "Remember no predictions and serve no POST /feedback");
    app.add_option("--log-predictions", prediction_log_.dir,
                   "Log each prediction's raw input and each label sent to POST /feedback to "
                   "JSON Lines segments in DIR, for 'conveyor feedback export' to turn into "
                   "training data")
        ->type_name("DIR");
    app.add_option("--log-sample", prediction_log_.sample,
                   "Prediction log: the share of requests logged (a request's rows and its "
                   "feedback together)")
        ->capture_default_str()
        ->check(CLI::Range(0.000001, 1.0));
    app.add_option("--log-segment-mb", log_segment_mb_,
                   "Prediction log: start a new segment file after N MiB")
        ->capture_default_str()
        ->check(CLI::Range(1, 1 << 20));
    app.add_option("--log-max-mb", log_max_mb_,
                   "Prediction log: remove the oldest segments while DIR holds more than N MiB")
        ->capture_default_str()
        ->check(CLI::Range(1, 1 << 24));
    retrain_.Add(app);
    app.add_option("--follow-interval", follow_seconds_,
                   "With -m NAME@ALIAS: seconds between checks of the alias in the registry; "
                   "when it moves, the version it names is loaded, checked, warmed and swapped "
                   "in")
        ->capture_default_str()
        ->check(CLI::Range(0.05, 86400.0));
    app.add_flag("--no-follow", no_follow_,
                 "With -m NAME@ALIAS: serve the version the alias names at start and stay on it");
    app.add_flag("--openapi", print_openapi_,
                 "Print the server's OpenAPI document (JSON) to stdout and exit; loads no model");
    app.footer(
        "Examples:\n"
        "  conveyor token create ops --role admin        prints a token once; keeps its hash\n"
        "  conveyor serve --tokens .conveyor/tokens      the project's model, on 127.0.0.1:8000\n"
        "  CONVEYOR_TOKENS=ci=$TOKEN:predict conveyor serve -m digits@production --host 0.0.0.0\n"
        "  conveyor serve --no-auth                      local use only: no tokens asked\n"
        "  conveyor serve --tokens t --tls-cert server.pem --tls-key server.key --host 0.0.0.0\n"
        "                                                 HTTPS; kill -HUP reloads a renewal\n"
        "  curl -H \"Authorization: Bearer $TOKEN\" -F file=@digit.png localhost:8000/predict\n"
        "  curl -H \"Authorization: Bearer $TOKEN\" -X POST \\\n"
        "      'localhost:8000/replace_ml_model?tag=a1b2c3d'\n"
        "  conveyor serve --openapi >openapi.json       the API description (OpenAPI 3)\n"
        "  conveyor serve -m digits@production --tokens t   follows production: swaps by\n"
        "                                                 itself when the alias moves\n"
        "  conveyor serve --remote s3://models/digits --remote-option \\\n"
        "      endpointurl=http://minio:9000 -m digits@production   no checkout needed\n"
        "\n"
        "Endpoints: POST /predict (multipart 'file', JSON {\"features\": [...]}, or CSV),\n"
        "GET /get_experiment_metas?limit=&offset=&order=newest|oldest,\n"
        "POST /replace_ml_model?tag=TAG (hot swap; the old model serves until the new one\n"
        "is loaded, checked on its sample input and warm), POST /feedback ({\"request_id\",\n"
        "\"label\"} or an array: the true labels of earlier predictions, for live accuracy\n"
        "on /metrics; role feedback or admin), GET /healthz, GET /readyz, and\n"
        "the Open Inference Protocol (KServe V2): /v2, /v2/health/{live,ready},\n"
        "/v2/models/NAME[/ready], POST /v2/models/NAME/infer. The API is described at\n"
        "GET /openapi.json (OpenAPI 3) and can be tried in a browser at /docs (Swagger UI,\n"
        "built into the binary). GET /metrics: Prometheus metrics (off with --no-metrics),\n"
        "with prediction and input drift as PSI against the spec's training statistics.\n"
        "One log line per request on stderr. SIGTERM/SIGINT: stop accepting, finish\n"
        "in-flight requests within --grace, exit 0. With --tls-cert, SIGHUP re-reads\n"
        "--tls-cert and --tls-key for new connections (open ones keep theirs; a pair that\n"
        "fails to load is reported and the previous one stays); without, it stops too.\n"
        "\n"
        "Access: every route but /healthz, /readyz, /v2/health/* and /metrics needs\n"
        "'Authorization: Bearer TOKEN' with a role that allows it: read (metas, docs,\n"
        "model info), predict (/predict, V2 infer; includes read), admin (everything,\n"
        "/replace_ml_model). Tokens come from CONVEYOR_TOKENS (TOKEN:ROLE or\n"
        "NAME=TOKEN:ROLE, comma-separated) and/or --tokens FILE; without either the\n"
        "server refuses to start unless --no-auth is given. Each model replace is\n"
        "written to stderr as an audit line naming the token. See docs/security.md.");
  }

  Status Run(const GlobalOptions& global, Console& console) override {
    if (print_openapi_) {
      console.Out(OpenApiDocument(ModelNameWithoutLoading(global)));
      return OkStatus();
    }
    RETURN_IF_ERROR(LoadAccess(global, console));
    RETURN_IF_ERROR(LoadTls(global));
    RETURN_IF_ERROR(retrain_.Check(global));
    if (drift_.min_samples > drift_.window) {
      return Error(Code::kUsage, "--drift-min-samples {} is larger than --drift-window {}",
                   drift_.min_samples, drift_.window);
    }
    if (!remote_.remote.empty()) {
      return ServeFromRemote(global, console);
    }
    if (!remote_.options.empty() || !remote_.state_dir.empty()) {
      return Error(Code::kUsage, "--remote-option and --state-dir go with --remote");
    }
    ASSIGN_OR_RETURN(std::unique_ptr<OpenedRegistry> opened, OpenRegistry(global, registry_));
    std::string reference = model_;
    if (reference.empty()) {
      if (opened->config.models.empty()) {
        return Error(Code::kUsage,
                     "no --model given and conveyor.yaml declares no model; name one "
                     "(see 'conveyor model list')");
      }
      reference = opened->config.models.front().name;
    }
    // The loader and the metas endpoint each get their own store (one per
    // user, as RegistryStore asks).
    ASSIGN_OR_RETURN(std::unique_ptr<RegistryStore> metas_store,
                     OpenProjectRegistry(opened->project, opened->config, registry_));
    // NAME@ALIAS is followed, through a store of its own (polled on the
    // main thread).
    std::unique_ptr<RegistryStore> follow_store;
    ReadAlias read_alias;
    ASSIGN_OR_RETURN(std::optional<std::string> alias, FollowedAlias(*opened->store, reference));
    if (alias.has_value()) {
      ASSIGN_OR_RETURN(follow_store,
                       OpenProjectRegistry(opened->project, opened->config, registry_));
      std::string model = reference.substr(0, reference.find('@'));
      read_alias = [store = follow_store.get(), model, name = *alias] {
        return AliasVersion(*store, model, name);
      };
    }
    // With PostgreSQL, NOTIFY says at once that the alias moved
    // (registry/alias_listener.h); polling stays as the fallback.
    std::unique_ptr<AliasListener> listener;
    std::function<bool()> nudge;
    if (alias.has_value()) {
      std::optional<std::string> env = ProcessEnvironment()(kRegistryEnv);
      std::string url =
          ResolveRegistryUrl(opened->project, opened->config, registry_, env.value_or(""));
      if (IsPostgresUrl(url)) {
        Result<std::unique_ptr<AliasListener>> opened_listener = AliasListener::Open(url);
        if (opened_listener.ok()) {
          listener = std::move(*opened_listener);
          nudge = [&listener, model = reference.substr(0, reference.find('@')), name = *alias] {
            return listener->Moved(model, name);
          };
        } else {
          console.Warn(fmt::format("cannot LISTEN for alias moves ({}); polling only",
                                   opened_listener.status().message()));
        }
      }
    }
    ConfigureBackend();
    serving::RegistryModelLoader loader(*opened->store, ObjectStore(opened->project.cache_dir()),
                                        opened->project.root() / ".conveyor" / "serving", batch_);
    return Serve(loader, *metas_store, reference, console, alias.value_or(""), read_alias, nudge);
  }

 private:
  using ReadAlias = serving::AliasFollower::ReadAlias;

  // The alias `reference` names when it is NAME@ALIAS and following is on
  // (no --no-follow); nullopt for NAME, NAME@VERSION, NAME@TAG.
  Result<std::optional<std::string>> FollowedAlias(RegistryStore& store,
                                                   const std::string& reference) const {
    if (no_follow_)
      return std::optional<std::string>();
    ASSIGN_OR_RETURN(ModelRef ref, ParseModelRef(reference));
    if (ref.kind != ModelRef::Kind::kName)
      return std::optional<std::string>();
    if (!AliasVersion(store, ref.model, ref.selector).ok())
      return std::optional<std::string>();  // a tag, or an unknown model: Replace says
    return std::optional<std::string>(ref.selector);
  }

  // --backend-threads and batching, before any model loads.
  void ConfigureBackend() {
    ml::SetBackendThreads(backend_threads_);
    batch_.max_delay = std::chrono::microseconds(batch_delay_us_);
    // Requests are predicted on the request threads, so no more than that
    // many can wait in one batch.
    batch_.max_callers = options_.threads > 0 ? static_cast<size_t>(options_.threads)
                                              : std::max(1U, std::thread::hardware_concurrency());
  }

  // --remote: everything from the remote's mirror (remote_serving.h).
  Status ServeFromRemote(const GlobalOptions& global, Console& console) {
    if (!registry_.empty()) {
      return Error(Code::kUsage,
                   "--registry and --remote exclude each other: with --remote the registry is "
                   "the remote's");
    }
    ASSIGN_OR_RETURN(RemoteConfig remote, ResolveServingRemote(remote_, global.cwd));
    std::filesystem::path state_dir =
        remote_.state_dir.empty() ? DefaultMirrorDir(remote) : global.cwd / remote_.state_dir;
    ASSIGN_OR_RETURN(std::unique_ptr<RemoteMirror> mirror, RemoteMirror::Open(remote, state_dir));
    console.Note(fmt::format("Mirroring {} in {}", mirror->remote().Describe(),
                             mirror->state_dir().string()));
    std::string reference = model_;
    if (reference.empty()) {
      RETURN_IF_ERROR(mirror->Sync().status());
      ASSIGN_OR_RETURN(std::vector<std::string> models, mirror->store().ListModels());
      if (models.size() != 1) {
        return Error(Code::kUsage, "no --model given and {} holds {}; name one with -m NAME[@REF]",
                     mirror->remote().Describe(),
                     models.empty() ? std::string("no models (run 'conveyor push' in the project)")
                                    : fmt::format("several models: {}", fmt::join(models, ", ")));
      }
      reference = models.front();
    }
    ASSIGN_OR_RETURN(std::unique_ptr<RegistryStore> metas_store,
                     OpenRegistryStore(mirror->registry_url()));
    ConfigureBackend();
    RemoteModelLoader loader(*mirror, batch_,
                             [&console](const std::string& warning) { console.Warn(warning); });
    // NAME@ALIAS follows the alias on the remote: each check syncs the
    // mirror (through the loader, which serialises its use).
    // (A remote that cannot be read now is reported by the first load,
    // which then serves from the mirror as it stands.)
    (void)mirror->Sync();
    ASSIGN_OR_RETURN(std::optional<std::string> alias, FollowedAlias(mirror->store(), reference));
    ReadAlias read_alias;
    if (alias.has_value()) {
      read_alias = [&loader, model = reference.substr(0, reference.find('@')), name = *alias] {
        return loader.AliasVersion(model, name);
      };
    }
    return Serve(loader, *metas_store, reference, console, alias.value_or(""), read_alias);
  }

  // Loads `reference` and serves until SIGTERM/SIGINT.
  // `alias` and `read_alias`, when given: follow NAME@alias (alias_follower.h),
  // checking at once whenever `nudge` says so.
  Status Serve(serving::ModelLoader& loader, RegistryStore& metas_store,
               const std::string& reference, Console& console, const std::string& alias = "",
               const ReadAlias& read_alias = {}, const std::function<bool()>& nudge = {}) {
    const std::string model_name = reference.substr(0, reference.find('@'));
    // Declared before everything that reports to it, so destroyed after.
    std::unique_ptr<serving::ServingMetrics> metrics;
    if (!no_metrics_)
      metrics = std::make_unique<serving::ServingMetrics>(
          serving::ServingMetricsOptions{.drift = drift_});
    serving::ModelManager manager(loader, {}, metrics.get());
    ASSIGN_OR_RETURN(serving::SwapReport loaded, manager.Replace(reference));
    console.Note(fmt::format(
        "Loaded {} in {:.3f} s", loaded.new_model.ToString(),
        static_cast<double>((loaded.load_time + loaded.check_time + loaded.warm_time).count()) /
            1e6));

    // Predictions are told to the metrics and to the feedback tracker.
    std::unique_ptr<serving::FeedbackTracker> tracker;
    std::unique_ptr<serving::FeedbackService> feedback;
    std::vector<serving::PredictionObserver*> told;
    if (metrics != nullptr)
      told.push_back(metrics.get());
    std::unique_ptr<serving::PredictionLog> prediction_log;
    if (!prediction_log_.dir.empty()) {
      serving::PredictionLogOptions options = prediction_log_;
      options.segment_bytes = uint64_t{log_segment_mb_} << 20;
      options.max_bytes = uint64_t{log_max_mb_} << 20;
      options.note = [&console](std::string_view line) { console.Warn(std::string(line)); };
      ASSIGN_OR_RETURN(prediction_log, serving::PredictionLog::Open(std::move(options)));
      told.push_back(prediction_log.get());
      console.Note(fmt::format(
          "Logging {}predictions and feedback to {} (segments of {} MiB, at most {} MiB)",
          prediction_log_.sample < 1 ? fmt::format("{:g}% of ", prediction_log_.sample * 100) : "",
          prediction_log_.dir.string(), log_segment_mb_, log_max_mb_));
    }
    if (!no_feedback_) {
      tracker = std::make_unique<serving::FeedbackTracker>(feedback_);
      feedback =
          std::make_unique<serving::FeedbackService>(manager, *tracker, prediction_log.get());
      told.push_back(tracker.get());
      if (metrics != nullptr)
        metrics->SetFeedbackSource(tracker.get(), feedback_min_outcomes_);
    }
    // Firing alerts (POST /hooks/alertmanager) and a schedule start
    // retraining runs.
    std::unique_ptr<RetrainSetup> retrain;
    if (retrain_.Configured()) {
      ASSIGN_OR_RETURN(retrain, RetrainSetup::Build(retrain_, console));
      console.Note(retrain->description());
    }
    serving::AlertHookService* alert_hook = retrain ? retrain->alert_hook() : nullptr;
    serving::PredictionObservers prediction_observers(told);
    serving::PredictionObserver* predictions = told.empty() ? nullptr : &prediction_observers;
    serving::ModelService service(manager, metas_store, model_name, {}, predictions);
    serving::Router router;
    serving::KserveV2 v2(manager, CONVEYOR_VERSION, {}, predictions);
    RETURN_IF_ERROR(serving::AddServeRoutes(router, {.service = service,
                                                     .v2 = v2,
                                                     .openapi_json = OpenApiDocument(model_name),
                                                     .metrics = metrics.get(),
                                                     .feedback = feedback.get(),
                                                     .alert_hook = alert_hook}));
    serving::AuditLog audit_log(std::cerr);
    RETURN_IF_ERROR(serving::AuditReplaceRoute(router, manager, audit_log));
    const serving::AccessPolicy policy =
        serving::DefaultAccessPolicy({.metrics_auth = metrics_auth_});
    if (std::vector<std::string> uncovered = policy.Uncovered(router); !uncovered.empty()) {
      console.Warn(fmt::format("routes without an access policy entry (admin only): {}",
                               fmt::join(uncovered, ", ")));
    }
    serving::RouteAuthorizer authorizer(tokens_, policy, router);
    options_.authorizer = no_auth_ ? nullptr : &authorizer;
    options_.tls = tls_.get();
    serving::AccessLog access_log(std::cerr);
    std::vector<serving::RequestObserver*> observers = {&access_log};
    if (metrics != nullptr)
      observers.push_back(metrics.get());
    serving::HttpServer server(router, observers);
    if (metrics != nullptr)
      metrics->SetInFlightSource([&server] { return server.requests_in_flight(); });
    InstallInterruptHandlers();
    // With TLS, SIGHUP re-reads the pair; without, it stops the server like
    // SIGTERM (a foreground serve whose terminal goes away ends).
    if (tls_)
      InstallReloadHandler();
    RETURN_IF_ERROR(server.Start(options_));
    console.Note(
        fmt::format("Serving {} on {}://{}:{} (POST /predict, GET "
                    "/get_experiment_metas, POST /replace_ml_model, {}/healthz, /readyz; "
                    "API docs at /docs, /openapi.json{})",
                    loaded.new_model.ToString(), tls_ ? "https" : "http", options_.address,
                    server.port(), feedback != nullptr ? "POST /feedback, " : "",
                    metrics != nullptr ? "; metrics at /metrics" : ""));
    if (tls_) {
      console.Note(fmt::format("TLS: {}", tls_->Describe()));
    } else if (!no_auth_ && !IsLoopback(options_.address)) {
      console.Warn(fmt::format(
          "serving plain HTTP on {}: bearer tokens cross the network in clear text unless a "
          "TLS-terminating proxy is in front; --tls-cert and --tls-key serve HTTPS",
          options_.address));
    }
    if (no_auth_) {
      console.Warn(fmt::format(
          "authentication is off (--no-auth): anyone who can reach port {} can replace the model",
          server.port()));
    } else {
      console.Note(fmt::format("Access control: {} token{} ({})", tokens_.size(),
                               tokens_.size() == 1 ? "" : "s", TokenSummary()));
    }
    std::optional<serving::AliasFollower> follower;
    if (read_alias) {
      follower.emplace(manager, model_name, alias, read_alias,
                       serving::AliasFollowerOptions{.interval = std::chrono::milliseconds(
                                                         std::llround(follow_seconds_ * 1000))},
                       [&console](std::string_view line) { console.Note(std::string(line)); });
      if (nudge)
        follower->SetNudge(nudge);
      console.Note(fmt::format(
          "Following {}: checking the registry every {} s{} (--no-follow to stay on v{})",
          follower->Describe(), follow_seconds_,
          nudge ? " and at once on PostgreSQL's notification" : "", loaded.new_model.version));
    }
    uint64_t reloads = ReloadRequests();
    while (InterruptSignal() == 0) {
      std::this_thread::sleep_for(50ms);
      if (follower.has_value())
        follower->Poll(serving::AliasFollower::Clock::now());
      if (uint64_t now = ReloadRequests(); now != reloads) {
        reloads = now;
        ReloadTls(console);
      }
    }
    console.Note("Shutting down: finishing requests in flight");
    server.Stop(std::chrono::milliseconds(static_cast<int64_t>(grace_seconds_ * 1000)));
    server.Wait();
    console.Note("Stopped.");
    return OkStatus();
  }

  // The tokens (CONVEYOR_TOKENS, --tokens) or --no-auth (server_access.h).
  Status LoadAccess(const GlobalOptions& global, Console& console) {
    ASSIGN_OR_RETURN(tokens_, LoadServerTokens(global, console, "serve", no_auth_, tokens_file_,
                                               metrics_auth_ ? "--metrics-auth" : ""));
    return OkStatus();
  }

  // --tls-cert and --tls-key: both or neither; loaded before the model so a
  // bad pair fails fast.
  Status LoadTls(const GlobalOptions& global) {
    if (tls_paths_.certificate.empty() != tls_paths_.key.empty()) {
      return Error(Code::kUsage, "{} given without {}: HTTPS needs the certificate and its key",
                   tls_paths_.key.empty() ? "--tls-cert" : "--tls-key",
                   tls_paths_.key.empty() ? "--tls-key" : "--tls-cert");
    }
    if (tls_paths_.certificate.empty())
      return OkStatus();
    ASSIGN_OR_RETURN(tls_, serving::TlsCredentials::Load(
                               {global.cwd / tls_paths_.certificate, global.cwd / tls_paths_.key}));
    return OkStatus();
  }

  // SIGHUP with TLS: new connections get the files' current pair.
  void ReloadTls(Console& console) {
    if (Status reloaded = tls_->Reload(); !reloaded.ok()) {
      console.Warn(reloaded.message());
      return;
    }
    console.Note(fmt::format("TLS reloaded: {}", tls_->Describe()));
  }

  static bool IsLoopback(const std::string& address) {
    return address == "localhost" || address == "::1" || address.starts_with("127.");
  }

  // "ops (admin), ci (predict)".
  std::string TokenSummary() const {
    std::vector<std::string> parts;
    for (const serving::TokenEntry& entry : tokens_.entries())
      parts.push_back(fmt::format("{} ({})", entry.name, serving::RoleName(entry.role)));
    return fmt::format("{}", fmt::join(parts, ", "));
  }

  std::string OpenApiDocument(const std::string& model_name) const {
    return serving::BuildOpenApiSpec({.server_version = CONVEYOR_VERSION,
                                      .model_name = model_name,
                                      .metrics = !no_metrics_,
                                      .metrics_auth = metrics_auth_,
                                      .feedback = !no_feedback_,
                                      .alert_hook = !retrain_.alerts.empty()})
        .dump(2);
  }

  // The model name for --openapi: --model's, else conveyor.yaml's first
  // model when run in a project, else none (the document then uses a
  // placeholder); no store is opened and nothing is loaded.
  std::string ModelNameWithoutLoading(const GlobalOptions& global) const {
    if (!model_.empty())
      return model_.substr(0, model_.find('@'));
    Result<Project> project = Project::Discover(global.cwd);
    if (!project.ok())
      return "";
    Result<ConveyorConfig> config = LoadConveyorConfig(project->root());
    if (!config.ok() || config->models.empty())
      return "";
    return config->models.front().name;
  }

  bool print_openapi_ = false;
  bool no_auth_ = false;
  RetrainFlags retrain_;
  serving::FeedbackOptions feedback_;
  size_t feedback_min_outcomes_ = 50;
  bool no_feedback_ = false;
  serving::PredictionLogOptions prediction_log_;
  uint32_t log_segment_mb_ = 64;
  uint32_t log_max_mb_ = 1024;
  double follow_seconds_ = 2.0;
  bool no_follow_ = false;
  bool metrics_auth_ = false;
  std::string tokens_file_;
  serving::TokenStore tokens_;
  serving::TlsPaths tls_paths_;
  std::unique_ptr<serving::TlsCredentials> tls_;
  bool no_metrics_ = false;
  std::string model_;
  std::string registry_;
  RemoteServingOptions remote_;
  int backend_threads_ = 1;
  serving::BatchOptions batch_;
  serving::DriftOptions drift_;
  int batch_delay_us_ = 1000;
  serving::HttpServerOptions options_;
  double grace_seconds_ = 10;
};

}  // namespace

std::unique_ptr<Command> MakeServeCommand() { return std::make_unique<ServeCommand>(); }

}  // namespace conveyor::cli
