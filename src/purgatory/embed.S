/* The freestanding purgatory.ro, carried inside kdumpkit as bytes: the loader (src/kexec)
 * lays it out, relocates it to the physical address it picks and fills in its variables.
 * KD_PURGATORY_RO is the object's path, given by the build. */
	.section .rodata.kd_purgatory, "a", @progbits
	.balign	16
	.globl	kd_purgatory_object
	.type	kd_purgatory_object, @object
kd_purgatory_object:
	.incbin	KD_PURGATORY_RO
	.size	kd_purgatory_object, . - kd_purgatory_object
	.globl	kd_purgatory_object_end
kd_purgatory_object_end:

	.section .note.GNU-stack, "", @progbits
