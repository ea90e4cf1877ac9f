#include "serving/retrain_trigger.h"

#include <gtest/gtest.h>

#include <mutex>
#include <thread>

#include "testing/temp_dir.h"

namespace conveyor::serving {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

Alert Firing(const std::string& name) {
  return {.firing = true, .name = name, .labels = {{"alertname", name}}, .starts_at = "t"};
}
Alert Resolved(const std::string& name) {
  Alert alert = Firing(name);
  alert.firing = false;
  return alert;
}

TEST(DecideRetrainTest, Table) {
  const std::set<std::string> rules = {"Drift", "AccuracyLow"};
  const Clock::time_point now = Clock::time_point{} + 10h;
  struct Row {
    std::vector<Alert> alerts;
    bool running;
    std::optional<Clock::time_point> last;
    bool start;
    const char* reason;
  };
  for (const Row& row : std::vector<Row>{
           {{Firing("Drift")}, false, std::nullopt, true, "Drift is firing: starting"},
           {{Resolved("Drift")},
            false,
            std::nullopt,
            false,
            "no firing alert that starts retraining (1 resolved, 0 firing with another name)"},
           {{Firing("DiskFull")}, false, std::nullopt, false, "(0 resolved, 1 firing with"},
           {{Resolved("Drift"), Firing("DiskFull"), Firing("AccuracyLow")},
            false,
            std::nullopt,
            true,
            "AccuracyLow is firing"},
           {{Firing("Drift")}, true, std::nullopt, false, "a retraining run is going on"},
           {{Firing("Drift")},
            false,
            now - 10min,
            false,
            "the last run started 600 s ago (cool-down 3600 s)"},
           {{Firing("Drift")}, false, now - 1h, true, "starting"},
           {{}, false, std::nullopt, false, "no firing alert"},
       }) {
    AlertmanagerPayload payload;
    payload.alerts = row.alerts;
    RetrainDecision decision = DecideRetrain(payload, rules, row.running, row.last, 3600s, now);
    EXPECT_EQ(decision.start, row.start) << decision.reason;
    EXPECT_NE(decision.reason.find(row.reason), std::string::npos) << decision.reason;
  }
}

// Runs real shell commands in a temporary directory.
class RetrainTriggerTest : public ::testing::Test {
 protected:
  std::unique_ptr<RetrainTrigger> Make(const std::string& command) {
    RetrainOptions options{.alerts = {"Drift"},
                           .cooldown = 60s,
                           .action = ShellRetrainAction(command, dir_.path(), runner_),
                           .log_dir = dir_ / "logs"};
    return std::make_unique<RetrainTrigger>(options, Recorder(), [this] { return now_; });
  }
  AlertmanagerPayload Drift() {
    AlertmanagerPayload payload;
    payload.alerts = {Firing("Drift")};
    return payload;
  }

  // Notes come from the test's thread and the trigger's worker.
  RetrainTrigger::Note Recorder() {
    return [this](std::string_view line) {
      std::lock_guard lock(notes_mu_);
      notes_.emplace_back(line);
    };
  }
  // Whether a note holds `text`.
  bool Noted(const std::string& text) {
    std::lock_guard lock(notes_mu_);
    for (const std::string& note : notes_) {
      if (note.find(text) != std::string::npos)
        return true;
    }
    return false;
  }

  testing::TempDir dir_;
  ShellRunner runner_;
  std::mutex notes_mu_;
  std::vector<std::string> notes_;
  Clock::time_point now_ = Clock::time_point{} + 1h;
};

TEST_F(RetrainTriggerTest, RunsTheCommandWithItsAlertAndKeepsTheLog) {
  auto trigger = Make("echo \"retraining for $CONVEYOR_RETRAIN_ALERT, run $CONVEYOR_RETRAIN_RUN\"");
  RetrainOutcome outcome = trigger->OnAlerts(Drift());
  EXPECT_TRUE(outcome.decision.start);
  EXPECT_EQ(outcome.run, 1);
  trigger->WaitIdle();
  EXPECT_EQ(testing::ReadFile(outcome.log), "retraining for Drift, run 1\n");
  EXPECT_EQ(outcome.log.parent_path(), dir_ / "logs");
  EXPECT_EQ(trigger->runs_failed(), 0);
  EXPECT_TRUE(Noted("retraining run 1 succeeded"));
}

TEST_F(RetrainTriggerTest, OneRunAtATimeThenTheCoolDown) {
  // The run waits for a file, so it is still going on when the next alert
  // comes (bounded: 10 s at most).
  auto trigger = Make("for i in $(seq 200); do [ -e go ] && break; sleep 0.05; done; exit 3");
  ASSERT_TRUE(trigger->OnAlerts(Drift()).decision.start);
  now_ += 2h;  // past the cool-down, but the run is not over
  RetrainOutcome busy = trigger->OnAlerts(Drift());
  EXPECT_FALSE(busy.decision.start);
  EXPECT_NE(busy.decision.reason.find("a retraining run is going on"), std::string::npos);
  testing::WriteFile(dir_ / "go", "");
  trigger->WaitIdle();
  EXPECT_EQ(trigger->runs_failed(), 1);
  EXPECT_TRUE(Noted("retraining run 1 failed: the command exited with code 3"));

  // The run started at t; 2 h later the cool-down (60 s) is long over.
  RetrainOutcome second = trigger->OnAlerts(Drift());
  EXPECT_TRUE(second.decision.start);
  EXPECT_EQ(second.run, 2);
  trigger->WaitIdle();
  now_ += 30s;
  RetrainOutcome cooling = trigger->OnAlerts(Drift());
  EXPECT_FALSE(cooling.decision.start);
  EXPECT_NE(cooling.decision.reason.find("started 30 s ago (cool-down 60 s)"), std::string::npos);
  EXPECT_EQ(trigger->runs_started(), 2);
}

TEST_F(RetrainTriggerTest, AScheduleStartsARunUnlessOneIsGoingOn) {
  auto trigger = Make(
      "for i in $(seq 200); do [ -e go ] && break; sleep 0.05; done; "
      "echo \"$CONVEYOR_RETRAIN_ALERT\"");
  RetrainOutcome first = trigger->OnSchedule("cron 0 3 * * *");
  ASSERT_TRUE(first.decision.start);
  EXPECT_EQ(first.decision.reason, "cron 0 3 * * * is due: starting a retraining run");
  RetrainOutcome busy = trigger->OnSchedule("cron 0 3 * * *");
  EXPECT_FALSE(busy.decision.start);
  EXPECT_EQ(busy.decision.reason, "cron 0 3 * * * is due, but a retraining run is going on");
  testing::WriteFile(dir_ / "go", "");
  trigger->WaitIdle();
  EXPECT_EQ(testing::ReadFile(first.log), "schedule\n");
  // The cool-down is for alerts: a schedule right after a run still starts.
  now_ += 1s;
  EXPECT_TRUE(trigger->OnSchedule("cron 0 3 * * *").decision.start);
  trigger->WaitIdle();
  EXPECT_FALSE(trigger->OnAlerts(Drift()).decision.start) << "alerts do cool down";
}

TEST_F(RetrainTriggerTest, AnyActionCanBeTheRun) {
  std::vector<std::string> seen;
  RetrainOptions options{.alerts = {"Drift"},
                         .action = [&](const RetrainRun& run) -> Result<std::string> {
                           seen.push_back(run.trigger + " " + std::to_string(run.number));
                           if (run.number == 2)
                             return Error(Code::kUnavailable, "GitLab unreachable");
                           return std::string("started GitLab pipeline 257");
                         },
                         .log_dir = dir_ / "logs"};
  RetrainTrigger trigger(options, Recorder(), [this] { return now_; });
  trigger.OnAlerts(Drift());
  trigger.WaitIdle();
  EXPECT_TRUE(Noted("retraining run 1 started GitLab pipeline 257"));
  trigger.OnSchedule("cron @daily");
  trigger.WaitIdle();
  EXPECT_TRUE(Noted("retraining run 2 failed: GitLab unreachable"));
  EXPECT_EQ(trigger.runs_failed(), 1);
  EXPECT_EQ(seen, (std::vector<std::string>{"Drift 1", "schedule 2"}));
}

}  // namespace
}  // namespace conveyor::serving
