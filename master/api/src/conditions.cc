#include "conditions.h"

namespace heatlink::master::api {

void Conditions::add(const std::string& condition, std::vector<SqlValue> values) {
  where_ += (where_.empty() ? " WHERE " : " AND ") + condition;
  for (auto& v : values) params_.push_back(std::move(v));
}

void Conditions::integer(const Call& call, const std::string& name, const std::string& condition,
                         std::int64_t min, std::int64_t max) {
  if (const auto v = call.integer(name, min, max)) {
    where_ += (where_.empty() ? " WHERE " : " AND ") + condition;
    params_.push_back(*v);
  }
}

void Conditions::text(const Call& call, const std::string& name, const std::string& condition) {
  if (auto v = call.text(name)) {
    where_ += (where_.empty() ? " WHERE " : " AND ") + condition;
    params_.push_back(std::move(*v));
  }
}

Json page_of_rows(Call& call, const std::string& columns, const std::string& from,
                  const Conditions& conditions, const std::string& order,
                  const std::function<Json(const SqlRow&)>& item) {
  const Page page = page_of(call);
  const auto total = checked(
      call.db.query("SELECT count(*) FROM " + from + conditions.where(), conditions.params()));
  std::vector<SqlValue> params = conditions.params();
  params.push_back(page.size);
  params.push_back(page.offset());
  const auto rows =
      checked(call.db.query("SELECT " + columns + " FROM " + from + conditions.where() +
                                " ORDER BY " + order + " LIMIT ? OFFSET ?",
                            params));
  Json items = Json::array();
  for (const auto& row : rows.rows) items.push_back(item(row));
  return paged(std::move(items), page, as_integer(total.rows.at(0).at(0)));
}

Json meter_page(Call& call, const std::string& from, const Conditions& conditions,
                const std::string& select, const std::function<Json(const SqlRow&)>& item) {
  const Page page = page_of(call);
  const auto total = checked(
      call.db.query("SELECT count(*) FROM " + from + conditions.where(), conditions.params()));
  std::vector<SqlValue> params = conditions.params();
  params.insert(params.end(), {SqlValue{page.size}, SqlValue{page.offset()}});
  const auto ids = checked(call.db.query(
      "SELECT m.id FROM " + from + conditions.where() + " ORDER BY m.id LIMIT ? OFFSET ?", params));
  Json items = Json::array();
  if (!ids.rows.empty()) {
    std::string list;
    std::vector<SqlValue> page_ids;
    for (const auto& row : ids.rows) {
      list += list.empty() ? "?" : ", ?";
      page_ids.push_back(row[0]);
    }
    const auto rows =
        checked(call.db.query(select + " WHERE m.id IN (" + list + ") ORDER BY m.id", page_ids));
    for (const auto& row : rows.rows) items.push_back(item(row));
  }
  return paged(std::move(items), page, as_integer(total.rows.at(0).at(0)));
}

}  // namespace heatlink::master::api
