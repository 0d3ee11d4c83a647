// The technician's CLI on a serial line: `heatlink mbus ...` opens the simulator's
// pseudo-terminal (the HM-660's RS-232 side, 9600 8E1) and finds, reads and commands the
// meters of a 300-meter segment, as it would through a real level converter.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "child_process.h"

namespace {

using Json = nlohmann::json;

class TechnicianPty : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    link_ = ::testing::TempDir() + "heatlink-segment-" + std::to_string(::getpid()) + ".pty";
    // x200: the bus runs 200 times faster than real time, so a 50 ms timeout is generous.
    pid_ = heatlink::test::spawn({HEATLINK_BIN, "sim", "--topology",
                                  HEATLINK_SOURCE_DIR "/scenarios/topologies/segment-300.yaml",
                                  "--pty", link_, "--pace", "x200"});
    struct stat st {};
    for (int i = 0; i < 100 && ::stat(link_.c_str(), &st) != 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }

  static void TearDownTestSuite() {
    int status = 0;
    if (pid_ > 0) {
      EXPECT_TRUE(heatlink::test::terminate(pid_, status)) << "status " << status;
    }
  }

  // Runs `heatlink mbus ARGS --device LINK --baud 9600 --timeout T --quiet`: 50 ms, or 120 ms
  // where sanitizers slow the simulator down.
#ifdef HEATLINK_SANITIZED
  static constexpr const char* kTimeoutMs = "120";
#else
  static constexpr const char* kTimeoutMs = "50";
#endif
  static int mbus(std::vector<std::string> args, std::string& out) {
    std::vector<std::string> command = {HEATLINK_BIN, "mbus"};
    command.insert(command.end(), args.begin(), args.end());
    command.insert(command.end(),
                   {"--device", link_, "--baud", "9600", "--timeout", kTimeoutMs, "--quiet"});
    return heatlink::test::run_to_end(command, out);
  }

  static std::string link_;
  static pid_t pid_;
};

std::string TechnicianPty::link_;
pid_t TechnicianPty::pid_ = -1;

TEST_F(TechnicianPty, FindsAndReadsEveryMeterOfTheSegment) {
  ASSERT_GT(pid_, 0);
  std::string out;
  ASSERT_EQ(mbus({"scan-secondary"}, out), 0) << out;
  const Json scan = Json::parse(out);
  std::map<std::string, std::set<std::string>> makers_by_id;
  std::vector<std::string> addresses;
  for (const Json& m : scan["meters"]) {
    EXPECT_TRUE(m["identified"].get<bool>()) << m.dump();
    const std::string address = m["secondary"];
    addresses.push_back(address);
    makers_by_id[address.substr(0, 8)].insert(m["manufacturer"].get<std::string>());
  }
  EXPECT_EQ(addresses.size(), 300u);
  EXPECT_EQ(std::set<std::string>(addresses.begin(), addresses.end()).size(), 300u);
  // IDs that only the manufacturer's hex digits tell apart.
  for (const char* id : {"50000141", "50000145"}) {
    EXPECT_EQ(makers_by_id[id], (std::set<std::string>{"HYD", "KAM"})) << id;
  }
  for (const char* id : {"50000286", "50000290"}) {
    EXPECT_EQ(makers_by_id[id], (std::set<std::string>{"DFS", "HYD"})) << id;
  }
  EXPECT_EQ(makers_by_id["50000001"], std::set<std::string>{"KAM"});

  std::vector<std::string> read = {"read"};
  read.insert(read.end(), addresses.begin(), addresses.end());
  ASSERT_EQ(mbus(read, out), 0) << out;
  std::istringstream lines(out);
  std::size_t answered = 0;
  for (std::string line; std::getline(lines, line);) {
    const Json j = Json::parse(line);
    ASSERT_EQ(j["status"], "ok") << line;
    ASSERT_FALSE(j["telegrams"].empty());
    const Json& t = j["telegrams"][0];
    const std::string address = j["address"];
    EXPECT_EQ(t["id"], address.substr(0, 8));
    EXPECT_TRUE(makers_by_id[address.substr(0, 8)].count(t["manufacturer"].get<std::string>()));
    EXPECT_FALSE(t["records"].empty());
    ++answered;
  }
  EXPECT_EQ(answered, 300u);
}

TEST_F(TechnicianPty, ClosesAndOpensACjt188ValveAndConfirmsIt) {
  ASSERT_GT(pid_, 0);
  std::string out;
  ASSERT_EQ(mbus({"cjt188", "valve", "00000060000002", "close", "--poll", "0.1"}, out), 0) << out;
  Json j = Json::parse(out);
  EXPECT_EQ(j["status"], "ok");
  EXPECT_EQ(j["valve"], "closed");
  EXPECT_GE(j["polls"].get<int>(), 1);

  ASSERT_EQ(mbus({"cjt188", "read", "00000060000002"}, out), 0) << out;
  j = Json::parse(out);
  EXPECT_EQ(j["frame"]["status"]["valve"], "closed") << out;

  ASSERT_EQ(mbus({"cjt188", "valve", "00000060000002", "open", "--poll", "0.1"}, out), 0) << out;
  EXPECT_EQ(Json::parse(out)["valve"], "open");
}

TEST_F(TechnicianPty, ExitStatusTellsAbsentMetersFromBadArgumentsFromBadPorts) {
  ASSERT_GT(pid_, 0);
  std::string out;
  EXPECT_EQ(mbus({"read", "99999999FFFFFFFF"}, out), 1);
  EXPECT_EQ(Json::parse(out)["status"], "no_answer");
  EXPECT_EQ(mbus({"read", "251"}, out), 2);
  EXPECT_EQ(mbus({"raw", "68 zz"}, out), 2);
  EXPECT_EQ(heatlink::test::run_to_end(
                {HEATLINK_BIN, "mbus", "scan", "--device", "/nonexistent/tty", "--quiet"}, out),
            3);
  EXPECT_EQ(heatlink::test::run_to_end({HEATLINK_BIN, "mbus", "scan", "--quiet"}, out), 2);
}

TEST_F(TechnicianPty, SendsRawBytesAndShowsTheAnswer) {
  ASSERT_GT(pid_, 0);
  std::string out;
  // Select 50000001 (Kamstrup): a lone E5.
  ASSERT_EQ(mbus({"raw", "68 0B 0B 68 53 FD 52 01 00 00 50 2D 2C FF FF 4A 16"}, out), 0) << out;
  const Json j = Json::parse(out);
  EXPECT_EQ(j["outcome"], "answered");
  EXPECT_EQ(j["received"], "E5");
}

}  // namespace
