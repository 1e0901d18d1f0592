//! A minimal Cortex-M runtime: vector table, reset, faults, ARM semihosting (console, command
//! line, exit). No panic machinery: the panic handler prints a fixed word and exits 101.

use core::arch::asm;
use core::ptr::{addr_of, addr_of_mut};

extern "C" {
    static mut _sdata: u32;
    static mut _edata: u32;
    static _sidata: u32;
    static mut _sbss: u32;
    static mut _ebss: u32;
}

type Handler = unsafe extern "C" fn() -> !;

/// Exceptions 1..15 (the initial stack pointer is word 0, written by `link.x`).
#[link_section = ".vectors"]
#[used]
static VECTORS: [Handler; 15] = [
    reset, fault, fault, fault, fault, fault, fault, fault, fault, fault, fault, fault, fault,
    fault, fault,
];

/// Reset: copy `.data`, zero `.bss`, run the program, exit with its status.
///
/// # Safety
/// Only the CPU calls this, once, out of reset.
#[no_mangle]
pub unsafe extern "C" fn reset() -> ! {
    // SAFETY: symbols from link.x delimit word-aligned RAM regions owned by nobody yet.
    unsafe {
        let mut src = addr_of!(_sidata);
        let mut dst = addr_of_mut!(_sdata);
        while dst < addr_of_mut!(_edata) {
            dst.write_volatile(src.read());
            dst = dst.add(1);
            src = src.add(1);
        }
        let mut p = addr_of_mut!(_sbss);
        while p < addr_of_mut!(_ebss) {
            p.write_volatile(0);
            p = p.add(1);
        }
    }
    let code = crate::run();
    exit(code)
}

unsafe extern "C" fn fault() -> ! {
    write(b"FAULT: unexpected exception\n");
    exit(2)
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    write(b"PANIC\n");
    exit(101)
}

const SYS_OPEN: usize = 0x01;
const SYS_WRITE: usize = 0x05;
const SYS_GET_CMDLINE: usize = 0x15;
const SYS_EXIT_EXTENDED: usize = 0x20;
const ADP_STOPPED_APPLICATION_EXIT: usize = 0x2_0026;

fn semihost(op: usize, arg: usize) -> usize {
    let ret;
    // SAFETY: the semihosting trap reads the argument block `arg` points to (and may write
    // into buffers it names); every caller passes a valid block.
    unsafe {
        asm!("bkpt #0xab", inout("r0") op => ret, in("r1") arg, options(nostack));
    }
    ret
}

fn console() -> usize {
    static mut HANDLE: usize = usize::MAX;
    // SAFETY: single-threaded, no interrupts enabled.
    unsafe {
        let h = addr_of_mut!(HANDLE);
        if *h == usize::MAX {
            let name = b":tt\0";
            // mode 4 = "w"; length excludes the NUL.
            let block = [name.as_ptr() as usize, 4, 3];
            *h = semihost(SYS_OPEN, block.as_ptr() as usize);
        }
        *h
    }
}

/// Writes bytes to the host's stdout.
pub fn write(bytes: &[u8]) {
    let block = [console(), bytes.as_ptr() as usize, bytes.len()];
    semihost(SYS_WRITE, block.as_ptr() as usize);
}

/// The semihosting command line (QEMU: kernel path, then `-append`'s text) into `buf`.
pub fn cmdline(buf: &mut [u8]) -> &[u8] {
    let mut block = [buf.as_mut_ptr() as usize, buf.len()];
    if semihost(SYS_GET_CMDLINE, block.as_mut_ptr() as usize) != 0 {
        return &[];
    }
    let [_, len] = block;
    buf.get(..len).unwrap_or(&[])
}

/// Ends QEMU with `code` as its exit status.
pub fn exit(code: u32) -> ! {
    let block = [ADP_STOPPED_APPLICATION_EXIT, code as usize];
    semihost(SYS_EXIT_EXTENDED, block.as_ptr() as usize);
    loop {
        // SAFETY: plain wait, reached only if the host ignored the exit request.
        unsafe { asm!("wfi") };
    }
}

/// Current stack pointer.
#[inline(always)]
pub fn sp() -> usize {
    let sp;
    // SAFETY: reads a register.
    unsafe { asm!("mov {}, sp", out(reg) sp, options(nomem, nostack, preserves_flags)) };
    sp
}

/// SysTick, clocked from the CPU clock (20 MHz on mps2-an505). With `-icount shift=0` QEMU
/// advances virtual time 1 ns per executed instruction, so one tick is 50 instructions.
pub mod systick {
    const CSR: *mut u32 = 0xE000_E010 as *mut u32;
    const RVR: *mut u32 = 0xE000_E014 as *mut u32;
    const CVR: *mut u32 = 0xE000_E018 as *mut u32;
    /// Counter width mask.
    pub const MASK: u32 = 0x00FF_FFFF;

    /// Starts the free-running 24-bit down counter (no interrupt).
    pub fn start() {
        // SAFETY: SysTick registers of the running core.
        unsafe {
            RVR.write_volatile(MASK);
            CVR.write_volatile(0);
            CSR.write_volatile(0b101); // ENABLE | CLKSOURCE=processor, TICKINT off
        }
    }

    /// Current value (counts down).
    #[inline(always)]
    pub fn now() -> u32 {
        // SAFETY: read of the SysTick current value register.
        unsafe { CVR.read_volatile() }
    }
}
