/*
 * kick.c - getting a vCPU out of KVM_RUN: the deadline, kicks, and the
 * HLT wait.
 *
 * A guest in `jmp $` never exits, and a guest that should pause (the
 * debugger's Ctrl-C, a snapshot, a memory-map change) must be made to.
 * The only way into a thread that sits in KVM_RUN is a signal: KVM_RUN
 * returns EINTR when one is delivered (api.rst 4.10). The classic race is
 * a signal that arrives just *before* the thread enters KVM_RUN: its
 * handler has run, nothing is pending, and the guest then runs on.
 *
 * We close it the way QEMU does, with a blocked signal:
 *
 *   - a thread that runs a vCPU keeps KICK_SIGNAL blocked at all times;
 *   - KVM_SET_SIGNAL_MASK (api.rst 4.17) gives KVM the thread's mask
 *     *without* KICK_SIGNAL, which KVM installs only while the guest runs;
 *   - so a kick sent at any moment either interrupts KVM_RUN or stays
 *     pending until the next KVM_RUN, which then returns EINTR at once.
 *
 * The handler is empty and touches no memory at all: a signal can never
 * write into a vCPU that has been destroyed in the meantime (the old
 * design set kvm_run->immediate_exit from the handler, through a
 * per-thread pointer that could outlive the vCPU).
 *
 * The same signal serves the per-vCPU deadline (a POSIX timer aimed at
 * the thread, SIGEV_THREAD_ID), mvm_vcpu_kick() (from any thread) and the
 * HLT wait (ppoll() unblocks it while waiting).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

/* A real-time signal: never merged with the program's own SIGALRM. */
#define KICK_SIGNAL (SIGRTMIN + 1)

/* This thread's id, cached: gettid() is a system call, and the run step
 * asks on every exit whether it runs in the thread the vCPU is bound to. */
static __thread int thread_tid;

static int my_tid(void)
{
	if (!thread_tid)
		thread_tid = gettid();
	return thread_tid;
}

/* The handler only has to exist: an ignored signal would not interrupt
 * KVM_RUN. Delivery itself is what makes KVM_RUN return EINTR. */
static void kick_handler(int sig)
{
	(void)sig;
}

/* Install the handler once per process. No SA_RESTART: KVM_RUN must
 * return EINTR rather than be restarted. */
static int install_handler(void)
{
	static int installed;
	struct sigaction sa;

	if (__atomic_load_n(&installed, __ATOMIC_ACQUIRE))
		return 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = kick_handler;
	sigemptyset(&sa.sa_mask);
	if (sigaction(KICK_SIGNAL, &sa, NULL) < 0)
		return -errno;
	__atomic_store_n(&installed, 1, __ATOMIC_RELEASE);
	return 0;
}

/* KVM_SET_SIGNAL_MASK takes the kernel's sigset (8 bytes on x86-64),
 * not glibc's 128-byte sigset_t. */
static int set_kvm_sigmask(struct mvm_vcpu *vcpu, const sigset_t *during_run)
{
	struct {
		struct kvm_signal_mask m;
		uint64_t set;
	} km = {.m.len = sizeof(uint64_t)};

	memcpy(&km.set, during_run, sizeof(km.set));
	return ioctl(vcpu->fd, KVM_SET_SIGNAL_MASK, &km) < 0 ? -errno : 0;
}

/*
 * Make the calling thread the one that runs this vCPU: block KICK_SIGNAL
 * here and tell KVM to unblock it during KVM_RUN. Cheap when nothing
 * changed (one compare), so the run step calls it on every step.
 */
int mvm_vcpu_bind_thread(struct mvm_vcpu *vcpu)
{
	sigset_t block, cur;
	int r, tid = my_tid();

	if (__atomic_load_n(&vcpu->bound_tid, __ATOMIC_RELAXED) == tid)
		return 0;
	r = install_handler();
	sigemptyset(&block);
	sigaddset(&block, KICK_SIGNAL);
	if (r == 0 && pthread_sigmask(SIG_BLOCK, &block, &cur) != 0)
		r = -EINVAL;
	if (r == 0) {
		sigdelset(&cur, KICK_SIGNAL);
		r = set_kvm_sigmask(vcpu, &cur);
	}
	if (r < 0) {
		mvm_logf(&vcpu->vm->log, MVM_LOG_ERROR,
			 "vCPU %d: cannot set up kicks for this thread: %s",
			 vcpu->index, strerror(-r));
		return r;
	}
	__atomic_store_n(&vcpu->bound_tid, tid, __ATOMIC_RELEASE);
	return 0;
}

/* Throw away kicks that are pending in this thread (blocked, so they
 * wait): their job is done once the run step has seen the flag or the
 * deadline, and a stale one would make the next KVM_RUN return at once. */
void mvm_vcpu_drain_kicks(void)
{
	static const struct timespec zero = {0, 0};
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, KICK_SIGNAL);
	while (sigtimedwait(&set, NULL, &zero) > 0)
		;
}

/* [slide:kick] */
void mvm_vcpu_kick(struct mvm_vcpu *vcpu)
{
	int tid;

	__atomic_store_n(&vcpu->kicked, 1, __ATOMIC_SEQ_CST);
	tid = __atomic_load_n(&vcpu->bound_tid, __ATOMIC_ACQUIRE);
	if (tid && tid != my_tid())
		tgkill(getpid(), tid, KICK_SIGNAL);
	mvm_vcpu_wake(vcpu); /* a vCPU waiting in HLT counts as running */
}
/* [/slide:kick] */

/* --- the deadline ------------------------------------------------------- */

/* (Re)create the timer so that it signals the calling thread: a plain
 * process-directed signal could go to any thread, and a kick to the
 * wrong thread would leave the guest spinning. */
static int make_timer(struct mvm_vcpu *vcpu)
{
	struct sigevent sev;
	timer_t t;
	int tid = my_tid();

	if (vcpu->timer_tid == tid)
		return 0;
	if (vcpu->timer_tid)
		timer_delete((timer_t)vcpu->timer);
	vcpu->timer_tid = 0;
	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_THREAD_ID;
	sev.sigev_signo = KICK_SIGNAL;
#ifdef sigev_notify_thread_id
	sev.sigev_notify_thread_id = tid;
#else
	sev._sigev_un._tid = tid; /* glibc < 2.35 has no name for it */
#endif
	if (timer_create(CLOCK_MONOTONIC, &sev, &t) < 0)
		return -errno;
	vcpu->timer = (void *)t;
	vcpu->timer_tid = tid;
	return 0;
}

/* [slide:deadline] */
int mvm_vcpu_set_deadline(struct mvm_vcpu *vcpu, unsigned ms)
{
	struct itimerspec its = {{0, 0}, {0, 0}};
	uint64_t deadline;
	int r;

	if (ms == 0 && !vcpu->timer_armed) {
		vcpu->deadline_ns = 0;
		return 0;
	}
	r = mvm_vcpu_bind_thread(vcpu);
	if (r == 0)
		r = make_timer(vcpu);
	if (r < 0) {
		mvm_logf(&vcpu->vm->log, MVM_LOG_ERROR,
			 "cannot arm the run deadline: %s", strerror(-r));
		return r;
	}
	/* One absolute time for both the timer and the run step's "has it
	 * passed?" test: with a relative timer and a deadline read from the
	 * clock afterwards, the signal could come a little before
	 * deadline_ns and be taken for some other signal. */
	deadline = ms ? mvm_now_ns() + (uint64_t)ms * 1000000ULL : 0;
	its.it_value.tv_sec = (time_t)(deadline / 1000000000ULL);
	its.it_value.tv_nsec = (long)(deadline % 1000000000ULL);
	if (timer_settime((timer_t)vcpu->timer, TIMER_ABSTIME, &its, NULL) <
	    0) {
		r = -errno;
		mvm_logf(&vcpu->vm->log, MVM_LOG_ERROR,
			 "timer_settime for the run deadline: %s",
			 strerror(-r));
		return r;
	}
	vcpu->timer_armed = ms != 0;
	vcpu->deadline_ns = deadline;
	if (ms == 0)
		mvm_vcpu_drain_kicks(); /* a deadline that came too late */
	return 0;
}
/* [/slide:deadline] */

/* Called by mvm_vcpu_destroy(): no timer may fire for a freed vCPU. */
void mvm_vcpu_kick_release(struct mvm_vcpu *vcpu)
{
	if (vcpu->timer_tid)
		timer_delete((timer_t)vcpu->timer);
	vcpu->timer_tid = 0;
	if (vcpu->wake_fd > 0)
		close(vcpu->wake_fd);
	vcpu->wake_fd = -1;
}

/* --- HLT: stop, or wait for an interrupt -------------------------------- */

int mvm_vcpu_set_hlt(struct mvm_vcpu *vcpu, enum mvm_hlt_policy policy)
{
	if (policy != MVM_HLT_STOP && policy != MVM_HLT_WAIT)
		return -EINVAL;
	if (policy == MVM_HLT_WAIT && vcpu->wake_fd < 0) {
		vcpu->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (vcpu->wake_fd < 0)
			return -errno;
	}
	vcpu->hlt = policy;
	return 0;
}

void mvm_vcpu_wake(struct mvm_vcpu *vcpu)
{
	uint64_t one = 1;
	int fd = vcpu->wake_fd;

	if (fd >= 0 && write(fd, &one, sizeof(one)) < 0) {
		/* EAGAIN: the counter is saturated, the vCPU will wake. */
	}
}

/*
 * The guest executed HLT and the policy is WAIT: sleep until something
 * wakes the vCPU (mvm_vcpu_wake(): an interrupt controller has an
 * interrupt for it), a kick, or the deadline. This is what a CPU does in
 * HLT (Intel SDM Vol. 2A, HLT: "resumes on an enabled interrupt, NMI,
 * SMI, INIT or reset"). ppoll() unblocks KICK_SIGNAL while it sleeps, so
 * kicks and the deadline end the wait exactly as they end KVM_RUN.
 */
void mvm_vcpu_hlt_wait(struct mvm_vcpu *vcpu)
{
	struct pollfd p = {.fd = vcpu->wake_fd, .events = POLLIN};
	sigset_t during;
	uint64_t n;

	if (__atomic_exchange_n(&vcpu->kicked, 0, __ATOMIC_SEQ_CST)) {
		__atomic_store_n(&vcpu->kicked, 1, __ATOMIC_SEQ_CST);
		return; /* the next step sees the kick */
	}
	pthread_sigmask(SIG_BLOCK, NULL, &during);
	sigdelset(&during, KICK_SIGNAL);
	if (ppoll(&p, 1, NULL, &during) > 0 &&
	    read(vcpu->wake_fd, &n, sizeof(n)) < 0) {
		/* nothing to do: woken anyway */
	}
}

/* --- the pre-entry hook and kvm_run's interrupt fields ------------------ */

void mvm_vcpu_set_pre_entry(struct mvm_vcpu *vcpu, mvm_pre_entry_fn *fn,
			    void *ctx)
{
	vcpu->pre_entry = fn;
	vcpu->pre_entry_ctx = ctx;
}

int mvm_vcpu_irq_ready(const struct mvm_vcpu *vcpu)
{
	return vcpu->run->ready_for_interrupt_injection && vcpu->run->if_flag;
}

void mvm_vcpu_request_irq_window(struct mvm_vcpu *vcpu, int on)
{
	vcpu->run->request_interrupt_window = on ? 1 : 0;
}

/* A vCPU thread ends: no kick may be sent to its (soon reused) thread
 * id, and the deadline timer aimed at it goes. The next thread to run
 * the vCPU binds afresh. */
void mvm_vcpu_unbind_thread(struct mvm_vcpu *vcpu)
{
	__atomic_store_n(&vcpu->bound_tid, 0, __ATOMIC_RELEASE);
	if (vcpu->timer_tid)
		timer_delete((timer_t)vcpu->timer);
	vcpu->timer_tid = 0;
	vcpu->timer_armed = 0;
	mvm_vcpu_drain_kicks();
}
