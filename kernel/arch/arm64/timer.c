/*
 * timer.c - the clock and the one-shot timer: the generic timer's virtual
 * counter (CNTVCT_EL0, at CNTFRQ_EL0 ticks per second, the same on every
 * CPU) and each CPU's virtual timer (CNTV), and the PL031 real-time clock.
 */
#include "arm64.h"

static uint64_t freq, count_boot;
static uint64_t ns_per_tick32;  /* ns per counter tick, times 2^32 */
static uint64_t ticks_per_ns32; /* the other way round, rounded up */
static volatile uint32_t *rtc;

uint64_t timer_count(void)
{
	isb();
	return read_sysreg(cntvct_el0);
}

/* Quiet this CPU's timer until the first arch_timer_set; let programs
 * read the virtual counter (CNTKCTL_EL1.EL0VCTEN), as Linux does. */
void timer_cpu_init(void)
{
	write_sysreg(cntv_ctl_el0, 0);
	write_sysreg(cntkctl_el1, 2);
}

BOOT_CODE void timer_init(void)
{
	freq = read_sysreg(cntfrq_el0);
	if (!freq)
		panic("timer: CNTFRQ_EL0 is 0");
	count_boot = timer_count();
	ns_per_tick32 = (1000000000ULL << 32) / freq;
	ticks_per_ns32 = ((freq << 32) + 999999999) / 1000000000;
	if (plat.rtc)
		rtc = map_phys(plat.rtc, PAGE_SIZE, true);
	timer_cpu_init();
	kprintf("lux: clock: generic timer %lu kHz\n", freq / 1000);
}

/* The timer fired: it stays asserted until re-armed, so disable it. */
void timer_mask(void)
{
	write_sysreg(cntv_ctl_el0, 0);
}

/*
 * After timer_interrupt, which started at count t0: if it armed a deadline
 * already past, the timer would interrupt again before the interrupted
 * code ran a single instruction (the compare asserts the line at once),
 * and a timer shorter than its own handling (an alarm of 1 ns) would
 * livelock this CPU. So the next interrupt waits as long as this one took,
 * as Linux's hrtimer does on a hang: the code in between gets half the CPU.
 */
void timer_throttle(uint64_t t0)
{
	uint64_t now = timer_count();

	if ((read_sysreg(cntv_ctl_el0) & 1) &&
	    read_sysreg(cntv_cval_el0) <= now)
		write_sysreg(cntv_cval_el0, now + (now - t0));
	isb();
}

uint64_t arch_clock_ns(void)
{
	return (uint64_t)(((unsigned __int128)(timer_count() - count_boot) *
			   ns_per_tick32) >>
			  32);
}

void arch_delay_ns(uint64_t ns)
{
	uint64_t end = arch_clock_ns() + ns;
	while (arch_clock_ns() < end)
		arch_cpu_relax();
}

/* The compare value is absolute: a past deadline fires at once. Ticks
 * are rounded up, so it never fires before the deadline. */
void arch_timer_set(uint64_t deadline_ns)
{
	uint64_t ticks =
	    (uint64_t)(((unsigned __int128)deadline_ns * ticks_per_ns32) >>
		       32) +
	    1;

	write_sysreg(cntv_cval_el0, count_boot + ticks);
	write_sysreg(cntv_ctl_el0, 1); /* enabled, not masked */
	isb();
}

uint64_t arch_rtc_seconds(void)
{
	return rtc ? rtc[0] : 0; /* RTCDR: seconds since 1970 */
}
