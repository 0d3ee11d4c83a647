// A WHERE clause built from the optional parameters of a query string, with its values bound
// in order (never written into the SQL), and a page of rows under it.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "call.h"

namespace heatlink::master::api {

class Conditions {
 public:
  // `condition` with one `?` per value.
  void add(const std::string& condition, std::vector<SqlValue> values = {});
  // `condition` (one `?`) with ?name's whole number, when the query has one.
  void integer(const Call& call, const std::string& name, const std::string& condition,
               std::int64_t min = 1, std::int64_t max = INT64_MAX);
  // `condition` (one `?`) with ?name's text, when the query has one.
  void text(const Call& call, const std::string& name, const std::string& condition);

  bool empty() const { return where_.empty(); }
  // " WHERE a AND b", or "" for no condition.
  const std::string& where() const { return where_; }
  const std::vector<SqlValue>& params() const { return params_; }

 private:
  std::string where_;
  std::vector<SqlValue> params_;
};

// A page (?page, ?page_size) of `SELECT columns FROM from <conditions> ORDER BY order`, each
// row made an item: {items, page, page_size, total}.
Json page_of_rows(Call& call, const std::string& columns, const std::string& from,
                  const Conditions& conditions, const std::string& order,
                  const std::function<Json(const SqlRow&)>& item);

// A page of meters in two steps: the page's meter ids under `conditions` from `from` (the
// meter table as `m`, and what the conditions join), cheap to sort; then `select` (a
// statement a WHERE may follow) for just those meters, each made an item.
Json meter_page(Call& call, const std::string& from, const Conditions& conditions,
                const std::string& select, const std::function<Json(const SqlRow&)>& item);

}  // namespace heatlink::master::api
