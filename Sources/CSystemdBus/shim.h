// The real sd-bus header (libsystemd-dev): Swift sees sd_bus, sd_bus_message and sd_bus_error as C does.
// Only Sources/DesktopNotifications imports this module (scripts/check-boundaries).
#include <systemd/sd-bus.h>
