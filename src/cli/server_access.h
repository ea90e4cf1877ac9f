// Who may call a conveyor HTTP server (`serve`, `watch`): bearer tokens from
// CONVEYOR_TOKENS and/or a token file (--tokens FILE), or --no-auth for
// local use. Loading refuses to go on with neither, and messages name
// tokens, never show them (serving/token_store.h).
#pragma once

#include <string>
#include <string_view>

#include "cli/command.h"
#include "serving/token_store.h"

namespace conveyor::cli {

class Console;

// Loads the tokens, or checks that --no-auth stands alone (`also_auth`
// names another flag that asks for authentication, e.g. "--metrics-auth",
// when it was given; empty otherwise). `command` ("serve", "watch") is
// named in the message when nothing is configured.
Result<serving::TokenStore> LoadServerTokens(const GlobalOptions& global, Console& console,
                                             std::string_view command, bool no_auth,
                                             const std::string& tokens_file,
                                             std::string_view also_auth = "");

}  // namespace conveyor::cli
