// ClassifyOutputs (cloud_outputs.h) as a table, and the progress line
// (transfer_commands.h).
#include "cli/cloud_outputs.h"

#include <gtest/gtest.h>

#include "cache/tree_hash.h"
#include "cli/transfer_commands.h"
#include "common/file_util.h"
#include "common/md5.h"
#include "testing/temp_dir.h"

namespace conveyor::cli {
namespace {

namespace fs = std::filesystem;

TEST(ClassifyOutputsTest, WorstStateWinsAndDirectoriesCountTheirFiles) {
  testing::TempDir dir;
  ObjectStore store(dir / "cache");
  std::string a = Md5Hex("a"), b = Md5Hex("b"), c = Md5Hex("c");
  Tree tree = BuildTree({{"a", a, 1}, {"b", b, 1}, {"c", c, 1}}).value();
  fs::create_directories(store.ObjectPath(tree.hash.md5).parent_path());
  ASSERT_TRUE(AtomicWriteFile(store.ObjectPath(tree.hash.md5), tree.json).ok());
  std::string listing = tree.hash.md5;
  std::string model = Md5Hex("model"), gone = Md5Hex("gone"), old = Md5Hex("old");

  CloudStatus status;
  status.in_sync = {listing, a, b, old};
  status.not_on_remote = {c, model};
  status.not_in_cache = {gone};
  std::vector<TrackedOutput> outputs = {{"data/images/", listing},
                                        {"models/model.json", model},
                                        {"data/train.csv", gone},
                                        {"data/old.csv", old},
                                        {"data/never.csv", Md5Hex("never")}};
  std::vector<OutputCloudStatus> got = ClassifyOutputs(outputs, status, store);
  ASSERT_EQ(got.size(), 5u);
  EXPECT_EQ(got[0].state, CloudState::kNew);
  EXPECT_EQ(got[0].files, 3u);
  EXPECT_EQ(got[0].files_new, 1u);
  EXPECT_EQ(got[1].state, CloudState::kNew);
  EXPECT_EQ(got[1].files, 0u);
  EXPECT_EQ(got[2].state, CloudState::kDeleted);
  EXPECT_EQ(got[3].state, CloudState::kInSync);
  EXPECT_EQ(got[4].state, CloudState::kMissing);  // in no list: at neither end
  EXPECT_EQ(CloudStateName(got[2].state), "deleted");
}

TEST(FormatTransferProgressTest, ObjectsBytesPercentRateAndEta) {
  TransferProgress p{
      .done_objects = 12, .total_objects = 1040, .done_bytes = 2'000'000, .total_bytes = 8'000'000};
  EXPECT_EQ(FormatTransferProgress("Pushing", p, 2.0),
            "Pushing 12/1,040 objects, 2.0 MB of 8.0 MB (25%), 1.0 MB/s, ETA 6s");
  p.total_bytes = 200'000'000;
  EXPECT_EQ(FormatTransferProgress("Pushing", p, 2.0),
            "Pushing 12/1,040 objects, 2.0 MB of 200.0 MB (1%), 1.0 MB/s, ETA 3m18s");
  p.total_bytes = 0;  // unknown: no total, no ETA
  EXPECT_EQ(FormatTransferProgress("Fetching", p, 0.0), "Fetching 12/1,040 objects, 2.0 MB, 0 B/s");
}

}  // namespace
}  // namespace conveyor::cli
