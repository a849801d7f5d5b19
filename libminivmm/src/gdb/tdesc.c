/*
 * tdesc.c - the target description gdb reads once per connection
 * (qXfer:features:read:target.xml; gdb manual, "Target Descriptions"),
 * built from the register table regs.c uses for this connection, so the
 * XML and the g/G/p/P answers cannot disagree.
 */
#include <errno.h>
#include <stdio.h>

#include "gdb_internal.h"

/* Features of the description (gdb manual, "Standard Target Features":
 * i386 core and segments; the third is ours). */
static const char *const features[] = {
	"org.gnu.gdb.i386.core",
	"org.gnu.gdb.i386.segments",
	"org.minivmm.x86.control",
};

/* The EFLAGS bits gdb shows by name (Intel SDM Vol. 1 3.4.3). */
static const char eflags_xml[] = "<flags id=\"i386_eflags\" size=\"4\">"
				 "<field name=\"CF\" start=\"0\" end=\"0\"/>"
				 "<field name=\"PF\" start=\"2\" end=\"2\"/>"
				 "<field name=\"AF\" start=\"4\" end=\"4\"/>"
				 "<field name=\"ZF\" start=\"6\" end=\"6\"/>"
				 "<field name=\"SF\" start=\"7\" end=\"7\"/>"
				 "<field name=\"TF\" start=\"8\" end=\"8\"/>"
				 "<field name=\"IF\" start=\"9\" end=\"9\"/>"
				 "<field name=\"DF\" start=\"10\" end=\"10\"/>"
				 "<field name=\"OF\" start=\"11\" end=\"11\"/>"
				 "<field name=\"VM\" start=\"17\" end=\"17\"/>"
				 "</flags>";

/*
 * Build the description for this connection into g->xml: 64-bit
 * registers when the vCPU is in long mode now (EFER.LMA), else the i386
 * set, whose architecture gdb lets the gdbinit switch between i386 and
 * i8086 (x86-64 and those two are not interchangeable in gdb).
 */
int mvm_gdb_build_xml(struct mvm_gdb *g)
{
	struct kvm_sregs s;
	const struct mvm_gdb_reg *t;
	unsigned n, f = ~0u;
	size_t len = 0;
	int rc = mvm_vcpu_get_sregs(g->vcpu, &s);

	if (rc < 0)
		return rc;
	g->wide = (s.efer & MVM_EFER_LMA) != 0;
	t = mvm_gdb_regs(g, &n);
#define ADD(...)                                                               \
	len += (size_t)snprintf(                                               \
		g->xml + len, len < sizeof(g->xml) ? sizeof(g->xml) - len : 0, \
		__VA_ARGS__)
	ADD("<?xml version=\"1.0\"?><!DOCTYPE target SYSTEM "
	    "\"gdb-target.dtd\"><target version=\"1.0\">"
	    "<architecture>%s</architecture><osabi>none</osabi>",
	    g->wide		   ? "i386:x86-64"
	    : (s.cr0 & MVM_CR0_PE) ? "i386"
				   : "i8086");
	for (unsigned i = 0; i < n; i++) {
		if (t[i].feature != f) {
			ADD("%s<feature name=\"%s\">",
			    f == ~0u ? "" : "</feature>",
			    features[t[i].feature]);
			if (t[i].feature == 0)
				ADD("%s", eflags_xml);
			f = t[i].feature;
		}
		ADD("<reg name=\"%s\" bitsize=\"%u\" type=\"%s\"%s%s/>",
		    t[i].name, 8 * t[i].size, t[i].type,
		    i == 0 ? " regnum=\"0\"" : "",
		    t[i].kind == R_CTRL			   ? " group=\"system\""
		    : t[i].kind == R_X87 && t[i].size == 4 ? " group=\"float\""
							   : "");
	}
	ADD("</feature></target>");
#undef ADD
	if (len >= sizeof(g->xml))
		return -ENOSPC;
	g->xml_len = len;
	return 0;
}
