// A GoogleTest suite using era-emu — copy this file to start your own.
// One emulator per test suite (in-process, port 0), reset before every test.
// Link: target_link_libraries(your_tests PRIVATE era::testkit GTest::gtest GTest::gtest_main)
#include <era/testkit/emulator.h>
#include <era/testkit/gtest.h>
#include <gtest/gtest.h>

using namespace era::testkit::gtest;
using namespace std::chrono_literals;

// ---- the code under test ----
bool register_user(era::client::Client& c, int id, const std::string& name) {
  auto db = c.d1("app");
  if (!db.exec("CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY, name TEXT)")) return false;
  if (!db.exec("INSERT INTO users (id, name) VALUES (?, ?)", {id, name})) return false;
  return c.kv("cache").put("user:" + std::to_string(id), name).has_value();
}

// ---- the harness ----
class StorageTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { emu_ = new era::testkit::Emulator(era::testkit::Emulator::from_env()); }
  static void TearDownTestSuite() { delete emu_; }
  void SetUp() override { emu_->reset(); }
  era::testkit::Emulator& emu() { return *emu_; }
  static era::testkit::Emulator* emu_;
};
era::testkit::Emulator* StorageTest::emu_ = nullptr;

TEST_F(StorageTest, RegisterWritesTheRowAndTheCache) {
  era::client::Client client({.url = emu().url()});
  ASSERT_TRUE(register_user(client, 1, "ada"));
  EXPECT_TRUE(D1RowsAre(emu().d1("app"), "users", {{{"id", 1}, {"name", "ada"}}}));
  EXPECT_TRUE(KvHas(emu().kv("cache"), "user:1", "ada"));
}

TEST_F(StorageTest, ADuplicateIdIsRejectedAndTheCacheUntouched) {
  era::client::Client client({.url = emu().url()});
  ASSERT_TRUE(register_user(client, 1, "ada"));
  EXPECT_FALSE(register_user(client, 1, "impostor"));
  EXPECT_TRUE(D1RowCount(emu().d1("app"), "users", 1));
  EXPECT_TRUE(KvHas(emu().kv("cache"), "user:1", "ada"));
}

TEST_F(StorageTest, EachTestStartsEmpty) {
  EXPECT_TRUE(KvLacks(emu().kv("cache"), "user:1"));
  EXPECT_FALSE(D1HasTable(emu().d1("app"), "users"));
}
