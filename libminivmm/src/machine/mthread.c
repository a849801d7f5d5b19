/*
 * mthread.c - one thread per vCPU, and pausing them all.
 *
 * A real machine's CPUs run at the same time; so do ours once
 * mvm_machine_start() gives each vCPU a thread that steps it with the
 * same run step the debugger uses one exit at a time. The locking model
 * is in machine.h; here is how pause works:
 *
 *   pauser                              each vCPU thread
 *   ------                              ----------------
 *   lock; wait until no other pause     loop: lock
 *   pausing = 1, depth++                  while depth or pausing: PARKED,
 *   kick every RUNNING vCPU  ---------->    wait
 *   wait until none is RUNNING            RUNNING; unlock
 *   pause hooks (device threads)          run step  <- the kick ends it
 *   unlock: the machine is quiet          lock; record the exit
 *   ...
 *   resume: depth--, resume hooks,
 *   broadcast  ------------------------>  wakes, runs on
 *
 * A vCPU is parked only between two run steps, never inside KVM_RUN or a
 * device call, so a paused machine can have its memory map, buses and
 * state changed safely. The kick (kick.c) cannot be lost, so a pause
 * always completes, even for a guest spinning in `jmp $` or sitting in a
 * HLT wait.
 *
 * A pause is exclusive and reentrant: one thread holds it at a time (a
 * second pauser waits), and its holder may pause again (depth counts).
 * A vCPU thread may pause the others (mvm_machine_paused() from a device
 * callback): while it waits for its turn it counts as parked itself.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "machine_internal.h"

void mvm_machine_threads_init(struct mvm_machine *m)
{
	pthread_condattr_t ca;

	pthread_mutex_init(&m->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&m->cond, &ca);
	pthread_condattr_destroy(&ca);
	for (int i = 0; i < MVM_MAX_VCPUS; i++)
		m->vt[i] = (struct vthread){.m = m, .index = i};
}

void mvm_machine_threads_fini(struct mvm_machine *m)
{
	pthread_cond_destroy(&m->cond);
	pthread_mutex_destroy(&m->lock);
}

static int final(enum mvm_verdict v)
{
	return v == MVM_DONE || v == MVM_FAILED || v == MVM_TIMED_OUT ||
	       v == MVM_DEBUG;
}

/* The vCPU thread of the caller, or NULL for any other thread. */
static struct vthread *self_vthread(struct mvm_machine *m)
{
	if (!m->started)
		return NULL;
	for (int i = 0; i < mvm_vm_ncpus(m->vm); i++)
		if (m->vt[i].state != VT_IDLE &&
		    pthread_equal(m->vt[i].tid, pthread_self()))
			return &m->vt[i];
	return NULL;
}

/* Park until no pause is in force; 0 to run on, 1 to stop. Lock held. */
static int park(struct mvm_machine *m, struct vthread *vt)
{
	while ((m->pause_depth > 0 || m->pausing) && !m->stopping) {
		vt->state = VT_PARKED;
		pthread_cond_broadcast(&m->cond);
		pthread_cond_wait(&m->cond, &m->lock);
	}
	vt->state = VT_RUNNING;
	return m->stopping;
}

static void *vcpu_thread(void *arg)
{
	struct vthread *vt = arg;
	struct mvm_machine *m = vt->m;
	struct mvm_vcpu *vcpu = mvm_vm_vcpu(m->vm, vt->index);
	struct mvm_exit e;
	enum mvm_verdict v;
	int rc;

	mvm_vcpu_set_deadline(vcpu, m->timeout_ms);
	pthread_mutex_lock(&m->lock);
	/* [slide:vcpu-thread] */
	while (!park(m, vt)) { /* parked while a pause is in force */
		pthread_mutex_unlock(&m->lock);
		rc = mvm_vcpu_run_once(vcpu, &e);
		v = mvm_machine_classify(m, vcpu, rc, &e);
		if (m->each)
			m->each(m->each_ctx, vcpu, &e);
		pthread_mutex_lock(&m->lock);
		vt->last = e;
		vt->verdict = v;
		vt->rc = rc;
		if (final(v))
			break;
	}
	/* [/slide:vcpu-thread] */
	vt->state = VT_DONE;
	pthread_cond_broadcast(&m->cond);
	pthread_mutex_unlock(&m->lock);
	mvm_vcpu_set_deadline(vcpu, 0);
	mvm_vcpu_unbind_thread(vcpu);
	return NULL;
}

int mvm_machine_start(struct mvm_machine *m, unsigned timeout_ms,
		      mvm_exit_cb *each, void *ctx)
{
	int n = mvm_vm_ncpus(m->vm), rc = 0;

	pthread_mutex_lock(&m->lock);
	if (m->started) {
		pthread_mutex_unlock(&m->lock);
		return -EBUSY;
	}
	m->timeout_ms = timeout_ms;
	m->each = each;
	m->each_ctx = ctx;
	__atomic_store_n(&m->started, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < n; i++) {
		struct vthread *vt = &m->vt[i];

		vt->verdict = MVM_GO_ON;
		vt->rc = 0;
		memset(&vt->last, 0, sizeof(vt->last));
		vt->state = VT_RUNNING;
		rc = -pthread_create(&vt->tid, NULL, vcpu_thread, vt);
		if (rc) {
			vt->state = VT_IDLE;
			mvm_logf(&m->log, MVM_LOG_ERROR,
				 "cannot start the thread of vCPU %d: %s", i,
				 strerror(-rc));
			break;
		}
	}
	pthread_mutex_unlock(&m->lock);
	if (rc)
		mvm_machine_stop(m);
	return rc;
}

static int any_running(struct mvm_machine *m, struct vthread *self)
{
	for (int i = 0; i < mvm_vm_ncpus(m->vm); i++)
		if (&m->vt[i] != self && m->vt[i].state == VT_RUNNING)
			return 1;
	return 0;
}

int mvm_machine_pause(struct mvm_machine *m)
{
	struct vthread *self;

	pthread_mutex_lock(&m->lock);
	self = self_vthread(m);
	if (self)
		self->state = VT_PARKED; /* while it waits for its turn */
	while ((m->pause_depth > 0 || m->pausing) &&
	       !pthread_equal(m->pauser, pthread_self())) {
		pthread_cond_broadcast(&m->cond);
		pthread_cond_wait(&m->cond, &m->lock);
	}
	if (m->pause_depth++ == 0) {
		m->pauser = pthread_self();
		m->pausing = 1;
		for (int i = 0; i < mvm_vm_ncpus(m->vm); i++)
			if (m->vt[i].state == VT_RUNNING)
				mvm_vcpu_kick(mvm_vm_vcpu(m->vm, i));
		while (any_running(m, self))
			pthread_cond_wait(&m->cond, &m->lock);
		for (int i = 0; i < m->nhooks; i++)
			m->hooks[i].pause(m->hooks[i].ctx);
		m->pausing = 0;
	}
	pthread_mutex_unlock(&m->lock);
	return 0;
}

int mvm_machine_resume(struct mvm_machine *m)
{
	struct vthread *self;

	pthread_mutex_lock(&m->lock);
	if (m->pause_depth == 0 || !pthread_equal(m->pauser, pthread_self())) {
		pthread_mutex_unlock(&m->lock);
		return -EINVAL; /* not paused, or paused by another thread */
	}
	if (--m->pause_depth == 0) {
		for (int i = m->nhooks - 1; i >= 0; i--)
			m->hooks[i].resume(m->hooks[i].ctx);
		self = self_vthread(m);
		if (self)
			self->state = VT_RUNNING;
	}
	pthread_cond_broadcast(&m->cond);
	pthread_mutex_unlock(&m->lock);
	return 0;
}

int mvm_machine_paused(struct mvm_machine *m, mvm_machine_fn *fn, void *ctx)
{
	int r = mvm_machine_pause(m);

	if (r == 0) {
		r = fn(m, ctx);
		mvm_machine_resume(m);
	}
	return r;
}

static int all_done(struct mvm_machine *m)
{
	for (int i = 0; i < mvm_vm_ncpus(m->vm); i++)
		if (m->vt[i].state != VT_DONE && m->vt[i].state != VT_IDLE)
			return 0;
	return 1;
}

int mvm_machine_wait(struct mvm_machine *m, unsigned timeout_ms)
{
	struct timespec until;
	int r = 0;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += timeout_ms / 1000;
	until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&m->lock);
	while (!all_done(m) && r == 0)
		r = timeout_ms
			    ? pthread_cond_timedwait(&m->cond, &m->lock, &until)
			    : pthread_cond_wait(&m->cond, &m->lock);
	r = all_done(m) ? 0 : -ETIMEDOUT;
	pthread_mutex_unlock(&m->lock);
	return r;
}

int mvm_machine_result(struct mvm_machine *m, int index, enum mvm_verdict *v,
		       struct mvm_exit *last)
{
	int r = 0;

	if (index < 0 || index >= mvm_vm_ncpus(m->vm))
		return -EINVAL;
	pthread_mutex_lock(&m->lock);
	if (m->vt[index].state == VT_RUNNING)
		r = -EBUSY;
	else {
		if (v)
			*v = m->vt[index].verdict;
		if (last)
			*last = m->vt[index].last;
	}
	pthread_mutex_unlock(&m->lock);
	return r;
}

int mvm_machine_stop(struct mvm_machine *m)
{
	int n = mvm_vm_ncpus(m->vm), join[MVM_MAX_VCPUS] = {0};

	pthread_mutex_lock(&m->lock);
	if (!m->started) {
		pthread_mutex_unlock(&m->lock);
		return 0;
	}
	m->stopping = 1;
	for (int i = 0; i < n; i++) {
		join[i] = m->vt[i].state != VT_IDLE;
		if (join[i])
			mvm_vcpu_kick(mvm_vm_vcpu(m->vm, i));
	}
	pthread_cond_broadcast(&m->cond);
	pthread_mutex_unlock(&m->lock);
	for (int i = 0; i < n; i++)
		if (join[i])
			pthread_join(m->vt[i].tid, NULL);
	pthread_mutex_lock(&m->lock);
	for (int i = 0; i < n; i++)
		m->vt[i].state = VT_IDLE;
	m->stopping = 0;
	__atomic_store_n(&m->started, 0, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&m->lock);
	return 0;
}

int mvm_machine_add_pause_hook(struct mvm_machine *m, mvm_pause_fn *pause,
			       mvm_pause_fn *resume, void *ctx)
{
	int r = 0;

	if (!pause || !resume)
		return -EINVAL;
	pthread_mutex_lock(&m->lock);
	if (m->nhooks >= MVM_PAUSE_HOOKS_MAX)
		r = -ENOSPC;
	else
		m->hooks[m->nhooks++] =
			(struct mvm_pause_hook){pause, resume, ctx};
	pthread_mutex_unlock(&m->lock);
	return r;
}
