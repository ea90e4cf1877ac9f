// The behaviour every RegistryStore must have, as one value-parameterised
// GoogleTest suite (store_conformance_test.cc). Each implementation's test
// file instantiates it with a factory for fresh, empty databases:
//
//   INSTANTIATE_TEST_SUITE_P(Sqlite, StoreConformanceTest,
//                            ::testing::Values(SqliteFactory()), FactoryName);
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "registry/registry_store.h"

namespace conveyor {

struct StoreFactory {
  std::string name;  // "Sqlite", "Postgres": the instantiation's name
  // A URL for OpenRegistryStore naming a new, empty database. Several
  // OpenRegistryStore calls on one URL reach the same database.
  std::function<std::string()> fresh_url;
};

inline std::string FactoryName(const ::testing::TestParamInfo<StoreFactory>& info) {
  return info.param.name;
}

class StoreConformanceTest : public ::testing::TestWithParam<StoreFactory> {};

}  // namespace conveyor
