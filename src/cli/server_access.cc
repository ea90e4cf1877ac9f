#include "cli/server_access.h"

#include <fmt/format.h>

#include <optional>
#include <vector>

#include "cli/console.h"
#include "common/environment.h"

namespace conveyor::cli {

Result<serving::TokenStore> LoadServerTokens(const GlobalOptions& global, Console& console,
                                             std::string_view command, bool no_auth,
                                             const std::string& tokens_file,
                                             std::string_view also_auth) {
  std::optional<std::string> env = ProcessEnvironment()(serving::kTokensEnvVar);
  if (no_auth) {
    if (env || !tokens_file.empty() || !also_auth.empty()) {
      return Error(Code::kUsage,
                   "--no-auth turns authentication off, but {} asks for it: drop one of them",
                   env                    ? std::string(serving::kTokensEnvVar) + " (environment)"
                   : !tokens_file.empty() ? std::string("--tokens")
                                          : std::string(also_auth));
    }
    return serving::TokenStore();
  }
  if (!env && tokens_file.empty()) {
    return Error(
        Code::kUsage,
        "no access control configured: conveyor {} needs to know who may call it. Either\n"
        "  set {}=NAME=TOKEN:ROLE[,...] in the environment (roles: {}), or\n"
        "  pass --tokens FILE (make one with 'conveyor token create NAME --role admin'), or\n"
        "  pass --no-auth to serve without authentication (local use only)\n"
        "See docs/security.md.",
        command, serving::kTokensEnvVar, serving::KnownRoles());
  }
  std::vector<std::string> warnings;
  std::optional<std::filesystem::path> file;
  if (!tokens_file.empty())
    file = global.cwd / tokens_file;
  ASSIGN_OR_RETURN(serving::TokenStore tokens, serving::LoadTokenStore(env, file, warnings));
  for (const std::string& warning : warnings)
    console.Warn(warning);
  return tokens;
}

}  // namespace conveyor::cli
