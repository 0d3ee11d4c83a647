// `heatlink mbus decode` as a user runs it: the real binary, stdin or a file, exit status.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

namespace {

struct CommandRun {
  int status = -1;
  std::string out;
  std::vector<nlohmann::json> lines;
};

// Per test, so that tests running in parallel do not share files.
std::string temp_file(const std::string& name, const std::string& content) {
  const std::string path = ::testing::TempDir() +
                           ::testing::UnitTest::GetInstance()->current_test_info()->name() + "-" +
                           name;
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

// Runs `heatlink <args>` with `input` on standard input.
CommandRun heatlink(const std::string& args, const std::string& input) {
  const std::string in_path = temp_file("decode_input.txt", input);
  const std::string command = std::string(HEATLINK_BIN) + " " + args + " < " + in_path + " 2>&1";
  CommandRun run;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return run;
  std::array<char, 4096> buf;
  std::size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) run.out.append(buf.data(), n);
  const int status = pclose(pipe);
  run.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::istringstream lines(run.out);
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty() && line[0] == '{') run.lines.push_back(nlohmann::json::parse(line));
  }
  return run;
}

constexpr const char* kKamstrup =
    "68 46 46 68 08 05 72 78 56 34 12 2D 2C 34 04 01 00 00 00 04 06 39 30 00 00 04 FF 07 45 23"
    " 01 00 04 FF 08 89 67 00 00 04 14 40 E2 01 00 04 3B 5E 01 00 00 02 59 64 1B 02 5D D5 0F 04"
    " FF 22 00 00 00 00 04 A5 FF 21 20 05 08 00 17 16\n";

TEST(DecodeCommand, PrintsOneJsonObjectPerFrame) {
  const CommandRun run = heatlink("mbus decode", std::string(kKamstrup) + "E5\n10 5B 05 60 16\n");
  ASSERT_EQ(run.status, 0) << run.out;
  ASSERT_EQ(run.lines.size(), 3u) << run.out;
  const auto& f = run.lines[0];
  EXPECT_EQ(f["protocol"], "mbus");
  EXPECT_EQ(f["c"], "0x08");
  EXPECT_EQ(f["a"], 5);
  EXPECT_EQ(f["ci"], "0x72");
  EXPECT_EQ(f["id"], "12345678");
  EXPECT_EQ(f["manufacturer"], "KAM");
  EXPECT_EQ(f["version"], 0x34);
  EXPECT_EQ(f["medium"], "heat_outlet");
  EXPECT_EQ(f["access_number"], 1);
  EXPECT_EQ(f["status"], 0);
  EXPECT_EQ(f["more_records_follow"], false);
  const auto& energy = f["records"][0];
  EXPECT_EQ(energy["dif"], "04");
  EXPECT_EQ(energy["vif"], "06");
  EXPECT_EQ(energy["function"], "instantaneous");
  EXPECT_EQ(energy["storage"], 0);
  EXPECT_EQ(energy["quantity"], "energy");
  EXPECT_EQ(energy["value"], 12345.0);
  EXPECT_EQ(energy["unit"], "kWh");
  EXPECT_EQ(energy["mantissa"], 12345);
  EXPECT_EQ(energy["exponent"], 3);
  EXPECT_EQ(energy["original_unit"], "Wh");
  EXPECT_EQ(f["records"][5]["quantity"], "flow_temperature");
  EXPECT_EQ(f["records"][5]["value"], 70.12);
  EXPECT_EQ(run.lines[1]["frame"], "ack");
  EXPECT_EQ(run.lines[2]["control"], "REQ_UD2");
  EXPECT_EQ(run.lines[2]["offset"], 76 + 1);
}

TEST(DecodeCommand, NamesTheByteAndWhatWasExpected) {
  const CommandRun run = heatlink("mbus decode", "10 5B 01 5A 16\n10 5B 01 5C 16\n");
  EXPECT_EQ(run.status, 1);
  ASSERT_EQ(run.lines.size(), 3u) << run.out;
  EXPECT_EQ(run.lines[0]["error"], "checksum: expected 0x5C, found 0x5A");
  EXPECT_EQ(run.lines[0]["offset"], 3);
  // A failed short frame gives up only its start byte, so a real frame inside it is not
  // lost; the rest of it is reported as noise. Then the stream resynchronises.
  EXPECT_EQ(run.lines[1]["offset"], 1);
  EXPECT_EQ(run.lines[2]["control"], "REQ_UD2");
  EXPECT_EQ(run.lines[2]["offset"], 5);
}

TEST(DecodeCommand, AcceptsAnyWhitespaceAndHexPrefixes) {
  const CommandRun run = heatlink("mbus decode -", "0x10 0x5B\t0x01,0x5C\r\n 0x16");
  EXPECT_EQ(run.status, 0) << run.out;
  ASSERT_EQ(run.lines.size(), 1u);
  EXPECT_EQ(run.lines[0]["frame"], "short");
}

TEST(DecodeCommand, ReportsBadHexByLineAndColumn) {
  const CommandRun run = heatlink("mbus decode", "E5\n10 5G\n");
  EXPECT_EQ(run.status, 1);
  ASSERT_EQ(run.lines.size(), 1u) << run.out;
  EXPECT_EQ(run.lines[0]["line"], 2);
  EXPECT_NE(run.lines[0]["error"].get<std::string>().find("line 2 column 4"), std::string::npos)
      << run.lines[0]["error"];
}

TEST(DecodeCommand, ReportsATruncatedFrame) {
  const CommandRun run = heatlink("mbus decode", "68 38 38 68 08 05 72");
  EXPECT_EQ(run.status, 1);
  ASSERT_EQ(run.lines.size(), 1u);
  EXPECT_EQ(run.lines[0]["offset"], 7);
  EXPECT_NE(run.lines[0]["error"].get<std::string>().find("input ends inside a frame"),
            std::string::npos);
}

TEST(DecodeCommand, DecodesCjt188WithStatus) {
  const CommandRun run = heatlink(
      "mbus decode --protocol cjt188",
      "FE FE 68 20 78 56 34 12 00 00 00 81 2E 90 1F 01 56 34 12 00 05 67 45 23 00 05 34 12 00 00"
      " 17 56 00 00 00 35 67 45 03 00 2C 12 70 00 53 40 00 34 12 00 45 30 10 15 01 24 20 05 00 72 "
      "16");
  ASSERT_EQ(run.status, 0) << run.out;
  ASSERT_EQ(run.lines.size(), 1u);
  const auto& f = run.lines[0];
  EXPECT_EQ(f["protocol"], "cjt188");
  EXPECT_EQ(f["meter_type"], "0x20");
  EXPECT_EQ(f["address"], "00000012345678");
  EXPECT_EQ(f["control"], "0x81");
  EXPECT_EQ(f["di"], "901F");
  EXPECT_EQ(f["records"][1]["quantity"], "energy");
  EXPECT_EQ(f["records"][1]["value"], 2345.67);
  EXPECT_EQ(f["records"][8]["value"], "2024-01-15T10:30:45");
  EXPECT_EQ(f["status"]["valve"], "closed");
  EXPECT_EQ(f["status"]["battery_low"], true);
}

TEST(DecodeCommand, ReadsRawBytesWithBinary) {
  const std::string path = temp_file("frame.bin", std::string("\x10\x40\x01\x41\x16", 5));
  const CommandRun run = heatlink("mbus decode --binary " + path, "");
  ASSERT_EQ(run.status, 0) << run.out;
  ASSERT_EQ(run.lines.size(), 1u);
  EXPECT_EQ(run.lines[0]["control"], "SND_NKE");
}

TEST(DecodeCommand, PrintsAReadableTable) {
  const CommandRun run = heatlink("mbus decode --format text", kKamstrup);
  ASSERT_EQ(run.status, 0) << run.out;
  EXPECT_NE(run.out.find("id=12345678 KAM"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("flow_temperature"), std::string::npos);
  EXPECT_NE(run.out.find("70.12"), std::string::npos);
}

TEST(DecodeCommand, RefusesUnknownOptionsWithStatusTwo) {
  EXPECT_EQ(heatlink("mbus decode --format xml", "").status, 2);
  EXPECT_EQ(heatlink("mbus decode /nonexistent/file", "").status, 2);
}

TEST(DecodeCommand, MarksABadRecordButKeepsTheFrame) {
  // A long frame whose last record is truncated: the frame prints, with the error.
  const CommandRun run =
      heatlink("mbus decode", "68 0D 0D 68 08 01 78 04 06 39 30 00 00 04 13 01 02 0E 16");
  EXPECT_EQ(run.status, 1) << run.out;
  ASSERT_EQ(run.lines.size(), 1u) << run.out;
  EXPECT_EQ(run.lines[0]["records"][0]["value"], 12345.0);
  EXPECT_TRUE(run.lines[0]["records"][1].contains("error"));
  EXPECT_TRUE(run.lines[0].contains("error"));
}

}  // namespace
