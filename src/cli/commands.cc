#include "cli/commands.h"

namespace conveyor::cli {

std::vector<std::unique_ptr<Command>> AllCommands() {
  std::vector<std::unique_ptr<Command>> commands;
  commands.push_back(MakeInitCommand());
  commands.push_back(MakeAddCommand());
  commands.push_back(MakeReproCommand());
  commands.push_back(MakeStatusCommand());
  commands.push_back(MakeDagCommand());
  commands.push_back(MakeExpCommand());
  commands.push_back(MakeModelCommand());
  commands.push_back(MakeServeCommand());
  commands.push_back(MakeTokenCommand());
  commands.push_back(MakeFeedbackCommand());
  commands.push_back(MakeWatchCommand());
  commands.push_back(MakeMetricsCommand());
  commands.push_back(MakeParamsCommand());
  commands.push_back(MakePlotsCommand());
  commands.push_back(MakeReportCommand());
  commands.push_back(MakeRemoteCommand());
  commands.push_back(MakePushCommand());
  commands.push_back(MakeFetchCommand());
  commands.push_back(MakePullCommand());
  commands.push_back(MakeCheckoutCommand());
  commands.push_back(MakeGcCommand());
  commands.push_back(MakeHashCommand());
  return commands;
}

}  // namespace conveyor::cli
