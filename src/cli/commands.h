// Factories for each command; defined one per file, listed in commands.cc.
#pragma once

#include <memory>

#include "cli/command.h"

namespace conveyor::cli {

std::unique_ptr<Command> MakeInitCommand();
std::unique_ptr<Command> MakeReproCommand();
std::unique_ptr<Command> MakeStatusCommand();
std::unique_ptr<Command> MakeDagCommand();
std::unique_ptr<Command> MakeHashCommand();
std::unique_ptr<Command> MakeAddCommand();
std::unique_ptr<Command> MakeCheckoutCommand();
std::unique_ptr<Command> MakeGcCommand();
std::unique_ptr<Command> MakeMetricsCommand();
std::unique_ptr<Command> MakeParamsCommand();
std::unique_ptr<Command> MakeExpCommand();
std::unique_ptr<Command> MakeModelCommand();
std::unique_ptr<Command> MakeServeCommand();
std::unique_ptr<Command> MakeTokenCommand();
std::unique_ptr<Command> MakeFeedbackCommand();
std::unique_ptr<Command> MakeWatchCommand();
std::unique_ptr<Command> MakePlotsCommand();
std::unique_ptr<Command> MakeReportCommand();
std::unique_ptr<Command> MakeRemoteCommand();
std::unique_ptr<Command> MakePushCommand();
std::unique_ptr<Command> MakeFetchCommand();
std::unique_ptr<Command> MakePullCommand();

}  // namespace conveyor::cli
