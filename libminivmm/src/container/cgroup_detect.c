/*
 * cgroup_detect.c - which cgroup hierarchy does this machine offer?
 *
 * Three layouts exist in the wild (cgroups(7), "cgroups version 1 and
 * version 2"):
 *
 *   unified   /sys/fs/cgroup is cgroup2: Debian >= 11, Ubuntu >= 21.10,
 *             Fedora >= 31. Controllers listed in cgroup.controllers.
 *   hybrid    /sys/fs/cgroup is a tmpfs with one cgroup (v1) mount per
 *             controller, plus an empty cgroup2 at /sys/fs/cgroup/unified
 *             (older systemd; the course's CI machines).
 *   legacy    v1 only.
 *
 * A controller can be attached to only one of the two versions at a
 * time, so "v2 is mounted" does not mean "v2 can limit memory": we ask
 * /proc/self/mounts where each one is, and cgroup.controllers what the v2
 * tree offers.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ctr_internal.h"

const char *const ctr_cgroup_names[CTR_V1_N] = {"memory", "pids", "cpu"};

/* Does the configuration set a limit that needs controller ctl? */
int ctr_cgroup_need(const struct mvm_ctr_config *cfg, enum ctr_v1_ctl ctl)
{
	switch (ctl) {
	case CTR_V1_MEMORY:
		return cfg->memory_max != 0;
	case CTR_V1_PIDS:
		return cfg->pids_max != 0;
	default:
		return cfg->cpu_millis != 0;
	}
}

/* Find the mount point of a cgroup file system in /proc/self/mounts:
 * type "cgroup2", or type "cgroup" whose options name the controller. */
static int find_mount(const char *type, const char *ctl, char *out, size_t len)
{
	char line[1024], dev[256], dir[PATH_MAX], fstype[64], opts[512];
	FILE *f = fopen("/proc/self/mounts", "re");
	int found = 0;

	if (!f)
		return -errno;
	while (!found && fgets(line, sizeof(line), f)) {
		char *tok, *save;

		if (sscanf(line, "%255s %4095s %63s %511s", dev, dir, fstype,
			   opts) != 4 ||
		    strcmp(fstype, type))
			continue;
		found = !ctl;
		for (tok = strtok_r(opts, ",", &save); ctl && tok && !found;
		     tok = strtok_r(NULL, ",", &save))
			found = strcmp(tok, ctl) == 0;
		if (found)
			ctr_path(out, len, "%s", dir);
	}
	fclose(f);
	return found ? 0 : -ENOENT;
}

/* Does the v2 hierarchy at root offer controller ctl? */
int ctr_cgroup_v2_has(const char *root, const char *ctl)
{
	char path[PATH_MAX], buf[512], *tok, *save;

	ctr_path(path, sizeof(path), "%s/cgroup.controllers", root);
	if (ctr_read_file(path, buf, sizeof(buf)) < 0)
		return 0;
	for (tok = strtok_r(buf, " \n", &save); tok;
	     tok = strtok_r(NULL, " \n", &save))
		if (!strcmp(tok, ctl))
			return 1;
	return 0;
}

/* Directory of the v1 hierarchy for ctl ("" if it is not mounted). */
void ctr_cgroup_v1_dir(const struct mvm_ctr_config *cfg, const char *ctl,
		       char *out, size_t len)
{
	out[0] = '\0';
	if (cfg->cgroup_root)
		ctr_path(out, len, "%s/%s", cfg->cgroup_root, ctl);
	else if (find_mount("cgroup", ctl, out, len) < 0)
		out[0] = '\0';
}

void ctr_cgroup_v1_mount(const struct mvm_ctr_config *cfg, enum ctr_v1_ctl ctl,
			 char *out, size_t len)
{
	ctr_cgroup_v1_dir(cfg, ctr_cgroup_names[ctl], out, len);
}

/* The first controller v2 at root lacks (all: also unlimited ones), or
 * NULL if it has them all. */
static const char *v2_missing(const struct mvm_ctr_config *cfg,
			      const char *root, int all)
{
	int i;

	for (i = 0; i < CTR_V1_N; i++)
		if ((all || ctr_cgroup_need(cfg, i)) &&
		    !ctr_cgroup_v2_has(root, ctr_cgroup_names[i]))
			return ctr_cgroup_names[i];
	return NULL;
}

/* The first needed v1 hierarchy that is missing or read-only, or NULL. */
static const char *v1_missing(const struct mvm_ctr_config *cfg)
{
	char dir[PATH_MAX];
	int i;

	for (i = 0; i < CTR_V1_N; i++) {
		ctr_cgroup_v1_mount(cfg, i, dir, sizeof(dir));
		if (ctr_cgroup_need(cfg, i) && (!dir[0] || access(dir, W_OK)))
			return ctr_cgroup_names[i];
	}
	return NULL;
}

/* Say precisely why the version the user asked for cannot be used. */
static int explain(const struct mvm_ctr_config *cfg, const char *v2)
{
	const struct mvm_log *log = &cfg->log;
	const char *v1m = v1_missing(cfg);

	if (cfg->cgroup != MVM_CGROUP_V1 && v2[0] && access(v2, W_OK) < 0)
		mvm_logf(log, MVM_LOG_ERROR,
			 "cgroup v2: %s is not writable "
			 "(need root or a delegated subtree)",
			 v2);
	else if (cfg->cgroup != MVM_CGROUP_V1 && v2[0])
		mvm_logf(log, MVM_LOG_ERROR,
			 "cgroup v2: %s controller not "
			 "available in %s/cgroup.controllers",
			 v2_missing(cfg, v2, 0), v2);
	else if (cfg->cgroup == MVM_CGROUP_V2)
		mvm_logf(log, MVM_LOG_ERROR, "cgroup v2: not mounted");
	if (cfg->cgroup != MVM_CGROUP_V2 && v1m)
		mvm_logf(log, MVM_LOG_ERROR,
			 "cgroup v1: the %s hierarchy is "
			 "not mounted or not writable",
			 v1m);
	return -EOPNOTSUPP;
}

/*
 * Pick the hierarchy. AUTO prefers v2 when it has every controller we
 * use (memory and pids also for statistics), then v1, then a v2 that has
 * at least the controllers the limits need.
 */
int mvm_ctr_cgroup_detect(const struct mvm_ctr_config *cfg,
			  enum mvm_cgroup_version *version, char *root,
			  size_t len)
{
	char v2[PATH_MAX] = "";
	int have_v2, want1 = cfg->cgroup != MVM_CGROUP_V2;
	int want2 = cfg->cgroup != MVM_CGROUP_V1;

	if (cfg->cgroup_root)
		ctr_path(v2, sizeof(v2), "%s", cfg->cgroup_root);
	else if (find_mount("cgroup2", NULL, v2, sizeof(v2)) < 0)
		v2[0] = '\0';
	have_v2 = want2 && v2[0] && access(v2, W_OK) == 0;
	if (have_v2 &&
	    (!v2_missing(cfg, v2, 1) || (!want1 && !v2_missing(cfg, v2, 0)))) {
		*version = MVM_CGROUP_V2;
		return ctr_path(root, len, "%s", v2);
	}
	if (want1 && !v1_missing(cfg)) {
		*version = MVM_CGROUP_V1;
		return ctr_path(root, len, "%s",
				cfg->cgroup_root ? cfg->cgroup_root
						 : "/sys/fs/cgroup");
	}
	if (have_v2 && !v2_missing(cfg, v2, 0)) {
		*version = MVM_CGROUP_V2;
		return ctr_path(root, len, "%s", v2);
	}
	return explain(cfg, v2);
}
