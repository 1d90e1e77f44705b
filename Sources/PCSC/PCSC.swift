/// Placeholder until the PC/SC wrapper lands.
enum PCSCPlaceholder {}
