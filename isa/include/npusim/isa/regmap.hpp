// Register map, command and completion formats of the device: the contract
// between driver/ and sim/. Specified in docs/registers.md.
#pragma once

#include <cstdint>

namespace npusim::isa::reg {

inline constexpr uint32_t kDeviceIdValue = 0x4E505531;  // "NPU1"
inline constexpr int kMaxPes = 4;
inline constexpr int kMaxQueues = 8;

// Device-wide registers (byte offsets in BAR0, 32-bit wide).
enum : uint32_t {
  kDeviceId = 0x000,     // RO  kDeviceIdValue
  kVersion = 0x004,      // RO  ISA version
  kNumPes = 0x008,       // RO
  kStatus = 0x00C,       // RO  bit0 ready, bit1 error latched, bit2 busy
  kReset = 0x010,        // WO  write 1: reset the whole device
  kIrqStatus = 0x014,    // RO  bit q: queue q completion; bit 30: irq instruction; bit 31: error
  kIrqMask = 0x018,      // RW  1 = enabled
  kIrqAck = 0x01C,       // WO  write 1s to clear IRQ_STATUS bits
  kErrorCode = 0x020,    // RO  ErrorCode of the first error since the last reset/ack
  kErrorInfo = 0x024,    // RO  instruction index, or register offset
  kErrorSource = 0x028,  // RO  bits 0-7 PE, 8-15 engine, 16-23 queue
  kErrorAddrLo = 0x02C,  // RO  offending address / value
  kErrorAddrHi = 0x030,
  kUserIrqCode = 0x034,  // RO  code of the last `irq` instruction (IRQ_STATUS bit 30)
  kClockMhz = 0x040,     // RO  hardware parameters as the device sees them
  kSramKib = 0x044,
  kArrayRows = 0x048,
  kArrayCols = 0x04C,
  kDramMib = 0x050,
  kErrorInject = 0x060,  // WO  arms a one-shot fault: the next RUN fails with code (bits 0-7)
  kTimeLo = 0x058,       // RO  device cycle counter (reading LO latches HI)
  kTimeHi = 0x05C,
  kTraceLo = 0x070,  // RW  DRAM address of the trace ring (TraceRecord entries)
  kTraceHi = 0x074,
  kTraceSize = 0x078,    // RW  ring entries (power of two); writing it zeroes TRACE_COUNT
  kTraceCount = 0x07C,   // RO  records written since TRACE_SIZE was written (slot = count % size)
  kTraceEnable = 0x080,  // RW  bit 0: record every DMA and compute instruction
  // Fault injection by instruction count (docs/registers.md, "Fault injection").
  kInjectKind = 0x084,     // RW  FaultKind; writing a kind arms it, reads 0 once it fired
  kInjectAfterLo = 0x088,  // RW  fire once this many more instructions have executed
  kInjectAfterHi = 0x08C,
};

// Engine states latched with a watchdog error (semaphore deadlock, watchdog
// timeout): per PE p and engine e, two registers at
// kEngineStateBase + (p * 3 + e) * 8: +0 the instruction index the engine
// was at, +4 bits 0-7 an EngineState, bits 8-15 the semaphore it waits on.
inline constexpr uint32_t kEngineStateBase = 0x0A0;
inline constexpr uint32_t kEngineStateEnd = 0x100;
enum class EngineState : uint8_t {
  kIdle = 0,     // no stream in the failed task, or finished
  kRunning = 1,  // executing an instruction
  kSemWait = 2,  // waiting on a semaphore
  kStuck = 3,    // stopped without progress (an injected stuck engine)
};

// Per-queue registers: base kQueueBase + q * kQueueStride.
inline constexpr uint32_t kQueueBase = 0x100;
inline constexpr uint32_t kQueueStride = 0x40;
enum : uint32_t {
  kQRingLo = 0x00,  // RW  DRAM address of the command ring
  kQRingHi = 0x04,
  kQRingSize = 0x08,  // RW  entries (power of two)
  kQHead = 0x0C,      // RO  next entry the device will fetch
  kQTail = 0x10,      // RW  doorbell: index one past the last valid entry
  kQCplLo = 0x14,     // RW  host IOVA of the completion ring
  kQCplHi = 0x18,
  kQCplSize = 0x1C,  // RW  entries (power of two)
  kQCplTail = 0x20,  // RO  next completion slot the device will write
  kQPeMask = 0x24,   // RW  PEs this queue's RUN commands use (bit p = PE p)
  kQEnable = 0x28,   // RW  1 = enabled
  kQCplHead = 0x2C,  // RW  next completion slot the host will read (device stalls when full)
  kQDone = 0x30,     // RO  number of commands completed since the queue was enabled
};

// Per-PE counters: base kPeBase + p * kPeStride; 64-bit values as LO/HI pairs
// (reading LO latches HI).
inline constexpr uint32_t kPeBase = 0x400;
inline constexpr uint32_t kPeStride = 0x40;
enum : uint32_t {
  kPeState = 0x00,           // RO  0 idle, 1 running, 2 error
  kPeCyclesLo = 0x08,        // total cycles since reset
  kPeTaskCyclesLo = 0x10,    // cycles with a task (program) running
  kPeTensorCyclesLo = 0x18,  // cycles the matrix or vector unit was busy
  kPeDmaBytesLo = 0x20,      // bytes moved by this PE's DMA engines
  kPeDmaBusyLo = 0x28,       // cycles at least one of this PE's DMA engines was busy
  kPeSramBytesLo = 0x30,     // bytes read + written in SRAM by the compute engine
};
inline constexpr uint32_t kRegSpaceEnd = kPeBase + kMaxPes * kPeStride;

enum class ErrorCode : uint32_t {
  kNone = 0,
  kIllegalInstruction = 1,  // unknown opcode, bad size, reserved bits, wrong engine
  kAddressOutOfRange = 2,   // SRAM, DRAM or host address outside its space
  kSemaphoreDeadlock = 3,   // watchdog: every live engine waits on a semaphore
  kBadRegister = 4,         // access to an unmapped register or a read-only write
  kBadCommand = 5,          // malformed command descriptor
  kBadProgram = 6,          // program table malformed
  kDmaError = 7,            // a DMA transfer failed (injected: FaultKind::kDmaError)
  kWatchdogTimeout = 8,     // the watchdog saw no progress (a stuck engine) or fired (injected)
  kHostLinkError = 9,       // a transfer over the host link failed (injected)
};

// Faults a test or a user can inject (INJECT_KIND, or a RUN / H2D / D2H
// command's inject word; docs/registers.md, "Fault injection").
enum class FaultKind : uint32_t {
  kNone = 0,
  kDmaError = 1,            // the next DMA instruction fails (kDmaError)
  kIllegalInstruction = 2,  // the next instruction is illegal (kIllegalInstruction)
  kWatchdog = 3,            // the watchdog fires at the next instruction (kWatchdogTimeout)
  kStuckEngine = 4,         // the next instruction's engine stops; the watchdog catches it
  kHostLinkError = 5,       // the next host-link transfer fails (kHostLinkError)
};
const char* error_name(ErrorCode c);

// A command's inject word: RUN carries it in `b`, H2D and D2H in `base[0]`
// (fields those commands do not otherwise use; 0 = no fault). Bits 0-7 the
// FaultKind, bits 8-63 (RUN only) how many of the RUN's instructions start
// before the fault may fire.
inline constexpr uint64_t inject_word(FaultKind kind, uint64_t after = 0) {
  return static_cast<uint64_t>(kind) | after << 8;
}

// Command descriptor in a queue's ring (64 bytes, little-endian).
// kWaitQueue blocks this queue until queue `a` has completed at least `b`
// commands (kQDone), which lets DMA queues and compute queues form pipelines.
enum class CommandOp : uint32_t { kNop = 0, kRun = 1, kH2D = 2, kD2H = 3, kWaitQueue = 4 };
struct Command {
  uint32_t op;       // CommandOp
  uint32_t tag;      // echoed in the completion
  uint64_t a;        // RUN: DRAM address of the program table; H2D/D2H: host IOVA
  uint64_t b;        // H2D/D2H: DRAM address
  uint64_t len;      // H2D/D2H: bytes
  uint64_t base[4];  // RUN: DRAM base registers 0..3 (host base registers use the same slots)
};
static_assert(sizeof(Command) == 64);

// Program table in DRAM, pointed at by a RUN command: one stream per
// (PE slot, engine); a single-PE program fills slot 0 only.
struct StreamRef {
  uint64_t addr;   // DRAM address of the code (32-bit words)
  uint32_t words;  // 0 = no stream
  uint32_t reserved;
};
struct ProgramTable {
  uint32_t magic;      // kProgramTableMagic
  uint32_t num_slots;  // 1 (single PE) or 2 (fused)
  StreamRef streams[2][3];
};
inline constexpr uint32_t kProgramTableMagic = 0x50524F47;  // "PROG"

// Trace record the device writes into the trace ring for each DMA or compute
// instruction it retires (32 bytes; docs/registers.md, "Trace").
struct TraceRecord {
  uint64_t start_cycle;  // the instruction started (after its engine was free)
  uint64_t end_cycle;    // ... and retired
  uint32_t program;      // low 32 bits of the RUN command's program-table address
  uint32_t index;        // instruction index in its stream
  uint8_t pe, engine, slot, opcode;
  uint32_t tag;  // the RUN command's tag
};
static_assert(sizeof(TraceRecord) == 32);

// Completion record the device writes into the host completion ring (32 bytes).
struct Completion {
  uint32_t tag;
  uint32_t status;  // ErrorCode
  uint64_t start_cycle;
  uint64_t end_cycle;
  uint32_t error_info;  // instruction index or similar
  uint32_t reserved;
};
static_assert(sizeof(Completion) == 32);

}  // namespace npusim::isa::reg
