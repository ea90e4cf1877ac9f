// Environment variables behind a function, so that code reading them (CI
// detection, report links) is tested with a map instead of the process's
// environment.
//
// Thread safety: a MapEnvironment lookup is immutable; ProcessEnvironment
// reads getenv, so call it while no thread calls setenv.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace conveyor {

// Looks a variable up; nullopt when unset (a variable set to "" is "").
using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;

// A lookup over `variables` (for tests, or a prepared environment).
EnvLookup MapEnvironment(std::map<std::string, std::string, std::less<>> variables);

// A lookup over this process's environment (getenv).
EnvLookup ProcessEnvironment();

}  // namespace conveyor
