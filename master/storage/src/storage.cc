#include "heatlink/master/storage/storage.h"

#include "storage_backends.h"

namespace heatlink::master {

const char* read_outcome_name(ReadOutcome outcome) noexcept {
  switch (outcome) {
    case ReadOutcome::ok:
      return "ok";
    case ReadOutcome::no_answer:
      return "no_answer";
    case ReadOutcome::garbled:
      return "garbled";
    case ReadOutcome::refused:
      return "refused";
  }
  return "?";
}

StorageResult<std::unique_ptr<Storage>> open_storage(const std::string& url) {
  if (url.starts_with("sqlite:")) {
    const std::string path = url.substr(7);
    if (path.empty()) return StorageError{"database 'sqlite:': no file named"};
    return storage::open_sqlite(path);
  }
  if (url.starts_with("postgresql://") || url.starts_with("postgres://")) {
    return storage::open_postgresql(url);
  }
  if (url.starts_with("postgresql:")) return storage::open_postgresql(url.substr(11));
  return StorageError{"database '" + url +
                      "': expected sqlite:PATH or postgresql://USER@HOST/DATABASE"};
}

}  // namespace heatlink::master
