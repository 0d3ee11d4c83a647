// Servers hold one descriptor per connection: take every descriptor the system allows.
#pragma once

#include <sys/resource.h>

namespace heatlink::master {

inline void raise_descriptor_limit() {
  rlimit files{};
  if (::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &files);
  }
}

}  // namespace heatlink::master
