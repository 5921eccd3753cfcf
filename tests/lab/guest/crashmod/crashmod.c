// SPDX-License-Identifier: GPL-2.0
/* kdumpkit crash lab: crash the running kernel on purpose, the way real bugs do.
 *   insmod crashmod.ko action=panic   -> panic()
 *   insmod crashmod.ko action=oops    -> NULL pointer dereference (panics with panic_on_oops=1)
 *   insmod crashmod.ko action=bug     -> BUG()
 * The crash happens in a function of its own so that the call trace names it. */
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/string.h>

static char *action = "none";
module_param(action, charp, 0444);
MODULE_PARM_DESC(action, "panic | oops | bug");

struct kdlab_victim {
	long pad[4];
	long value;
};

static noinline void kdlab_do_panic(void)
{
	panic("kdumpkit-lab: panic requested by crashmod");
}

static noinline long kdlab_do_oops(struct kdlab_victim *v)
{
	return READ_ONCE(v->value);
}

static noinline void kdlab_do_bug(void)
{
	BUG();
}

static int __init kdlab_init(void)
{
	pr_info("kdumpkit-lab: crashmod action=%s\n", action);
	if (!strcmp(action, "panic"))
		kdlab_do_panic();
	else if (!strcmp(action, "oops"))
		pr_info("kdumpkit-lab: not reached %ld\n", kdlab_do_oops(NULL));
	else if (!strcmp(action, "bug"))
		kdlab_do_bug();
	else
		return -EINVAL;
	return 0;
}

static void __exit kdlab_exit(void)
{
}

module_init(kdlab_init);
module_exit(kdlab_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("kdumpkit crash lab: deliberate panic, oops and BUG");
