// termios for terminals libserialport does not open (pseudo-terminals).
#pragma once

#include "heatlink/master/link/link_driver.h"

namespace heatlink::master {

std::unique_ptr<Transport> open_termios(const std::string& path, unsigned baud, IoStatus& status);

}  // namespace heatlink::master
