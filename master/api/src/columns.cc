#include "columns.h"

#include <cmath>
#include <cstdio>
#include <ctime>

namespace heatlink::master::api {

namespace {

struct Column {
  const char* key;
  const char* zh;
  const char* en;
};

// The UI's words (master/web/src/i18n): the same column reads the same on screen and on paper.
constexpr Column kColumns[] = {
    {"id", "编号", "ID"},
    {"name", "名称", "Name"},
    {"station_id", "热力站编号", "Station ID"},
    {"community_id", "小区编号", "Community ID"},
    {"building_id", "楼栋编号", "Building ID"},
    {"unit_id", "单元编号", "Unit ID"},
    {"household_id", "住户编号", "Household ID"},
    {"concentrator_id", "集中器编号", "Concentrator ID"},
    {"area_m2", "面积 (m²)", "Area (m²)"},
    {"phone", "电话", "Phone"},
    {"dtu_id", "DTU 编号", "DTU ID"},
    {"model", "型号", "Model"},
    {"mode", "模式", "Mode"},
    {"channel", "通道", "Channel"},
    {"vendor", "厂家", "Vendor"},
    {"protocol", "协议", "Protocol"},
    {"primary_address", "一次地址", "Primary address"},
    {"secondary_address", "二次地址", "Secondary address"},
    {"kind", "类型", "Kind"},
    {"meter_id", "表号", "Meter"},
    {"station", "热力站", "Station"},
    {"community", "小区", "Community"},
    {"building", "楼栋", "Building"},
    {"household", "住户", "Household"},
    {"customer", "用户", "Customer"},
    {"concentrator", "集中器", "Concentrator"},
    {"read_at", "抄表时间", "Read at"},
    {"received_at", "接收时间", "Received at"},
    {"energy_kwh", "累计热量 (kWh)", "Energy (kWh)"},
    {"volume_m3", "累计流量 (m³)", "Volume (m³)"},
    {"power_kw", "功率 (kW)", "Power (kW)"},
    {"flow_m3h", "瞬时流量 (m³/h)", "Flow (m³/h)"},
    {"supply_c", "供水温度 (°C)", "Supply (°C)"},
    {"return_c", "回水温度 (°C)", "Return (°C)"},
    {"delta_t_k", "温差 (K)", "ΔT (K)"},
    {"operating_hours", "运行时间 (h)", "Operating hours"},
    {"status_bits", "状态字", "Status bits"},
    {"error_bits", "错误字", "Error bits"},
    {"read_status", "抄表状态", "Read status"},
    {"heating", "供热", "Heating"},
    {"valve", "阀门", "Valve"},
    {"state", "阀门状态", "Valve"},
    {"state_at", "状态时间", "Reported at"},
    {"last_command", "最近操作", "Last command"},
    {"last_command_status", "操作结果", "Command status"},
    {"period_start", "周期开始", "Period start"},
    {"scope_id", "范围编号", "Scope ID"},
    {"meters", "表数", "Meters"},
    {"complete", "完整", "Complete"},
    {"interpolated", "插值", "Interpolated"},
    {"suspect", "存疑", "Suspect"},
    {"code", "故障", "Fault"},
    {"severity", "级别", "Severity"},
    {"raised_at", "发生时间", "Raised at"},
    {"cleared_at", "恢复时间", "Cleared at"},
    {"detail", "详情", "Detail"},
};

// Values of the columns that hold a word from a closed set.
struct Word {
  const char* column;
  const char* value;
  const char* zh;
  const char* en;
};
constexpr Word kWords[] = {
    {"read_status", "ok", "正常", "OK"},
    {"read_status", "fault", "故障", "Fault"},
    {"read_status", "failed", "离线", "Offline"},
    {"read_status", "no_data", "无数据", "No data"},
    {"heating", "heating", "供热中", "Heating"},
    {"heating", "idle", "未供热", "Idle"},
    {"heating", "unknown", "未知", "Unknown"},
    {"valve", "open", "开", "Open"},
    {"valve", "closed", "关", "Closed"},
    {"valve", "fault", "故障", "Fault"},
    {"valve", "unknown", "未知", "Unknown"},
    {"valve", "none", "", ""},
    {"state", "open", "开", "Open"},
    {"state", "closed", "关", "Closed"},
    {"state", "fault", "故障", "Fault"},
    {"state", "unknown", "未知", "Unknown"},
    {"last_command", "open", "开阀", "Open"},
    {"last_command", "close", "关阀", "Close"},
    {"last_command_status", "queued", "排队中", "Queued"},
    {"last_command_status", "running", "执行中", "Running"},
    {"last_command_status", "done", "完成", "Done"},
    {"last_command_status", "failed", "失败", "Failed"},
    // The built-in fault rules' codes (master/analysis); a custom rule's name stays as it is.
    {"code", "no_data", "无数据", "No data"},
    {"code", "concentrator_failure_rate", "集中器抄表失败率高", "Concentrator failure rate"},
    {"code", "cycle_overrun", "抄表周期超时", "Cycle overrun"},
    {"code", "supply_sensor", "供水温度传感器故障", "Supply sensor fault"},
    {"code", "return_sensor", "回水温度传感器故障", "Return sensor fault"},
    {"code", "flow_sensor", "流量传感器故障", "Flow sensor fault"},
    {"code", "calculator", "积算仪故障", "Calculator fault"},
    {"code", "low_battery", "电池电量低", "Low battery"},
    {"code", "air", "管道进气", "Air in the pipe"},
    {"code", "reverse_flow", "反向流动", "Reverse flow"},
    {"code", "leak", "泄漏", "Leak"},
    {"code", "burst", "爆管", "Burst"},
    {"code", "valve_fault", "阀门故障", "Valve fault"},
    {"code", "supply_below_return", "供水温度低于回水", "Supply below return"},
    {"code", "low_delta_t", "温差过小", "Low ΔT"},
    {"code", "flow_above_limit", "流量超限", "Flow above limit"},
    {"code", "clock_drift", "表计时钟偏差", "Clock drift"},
    {"code", "valve_mismatch", "阀门状态与指令不符", "Valve mismatch"},
    {"code", "register_backwards", "表底回退", "Register backwards"},
    {"code", "register_jump", "表底异常跳变", "Register jump"},
    {"code", "energy_flat", "热量不走字", "Energy flat"},
    {"code", "replacement_unfiled", "未登记换表", "Replacement not filed"},
    {"code", "meter_identity_mismatch", "表号不符", "Meter identity mismatch"},
    {"code", "dtu_offline", "DTU 离线", "DTU offline"},
    {"code", "dtu_id_conflict", "DTU 编号冲突", "DTU ID conflict"},
};

bool is_time(const std::string& key) {
  return key == "period_start" || (key.size() > 3 && key.ends_with("_at"));
}

// "2026-12-07 15:30:00" in the heat company's time.
std::string local_time(std::int64_t epoch, int utc_offset_s) {
  const std::time_t t = static_cast<std::time_t>(epoch + utc_offset_s);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &tm);
  return text;
}

// At most three decimals, no trailing zeros: 15.42, not 15.41999999999999.
std::string plain_number(double value) {
  char text[64];
  std::snprintf(text, sizeof text, "%.3f", value);
  std::string out = text;
  while (out.back() == '0') out.pop_back();
  if (out.back() == '.') out.pop_back();
  return out == "-0" ? "0" : out;
}

}  // namespace

std::string column_title(const std::string& key, bool english) {
  for (const Column& c : kColumns)
    if (key == c.key) return english ? c.en : c.zh;
  return key;
}

std::string column_key(const std::string& title) {
  for (const Column& c : kColumns)
    if (title == c.key || title == c.zh || title == c.en) return c.key;
  return title;
}

Table readable(const Call& call, Table table) {
  const bool english = call.choice("lang", {"zh-CN", "en"}).value_or("zh-CN") == "en";
  const int offset = call.env.consumption.utc_offset_s;
  for (std::size_t c = 0; c < table.header.size(); ++c) {
    const std::string key = table.header[c];
    for (auto& row : table.rows) {
      if (c >= row.size()) continue;
      Cell& cell = row[c];
      if (is_time(key) && cell.number) {
        cell = {local_time(static_cast<std::int64_t>(*cell.number), offset), std::nullopt};
      } else if (cell.number) {
        const double rounded = std::round(*cell.number * 1000) / 1000;
        cell = {plain_number(rounded), rounded};
      } else {
        for (const Word& w : kWords)
          if (key == w.column && cell.text == w.value) cell.text = english ? w.en : w.zh;
      }
    }
    table.header[c] = column_title(key, english);
  }
  return table;
}

}  // namespace heatlink::master::api
