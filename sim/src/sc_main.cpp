// libsystemc.so carries its own main() that calls sc_main; npusim's programs
// have their own main() and never reach it, but the symbol must exist to link
// (sim/CMakeLists.txt makes the linker pull this object into every binary).
// SystemC declares it with C linkage.
extern "C" int sc_main(int, char*[]) {
  return 0;
}
