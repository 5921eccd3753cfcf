/* x86_64 purgatory entry: the code the kernel's relocate_kernel jumps to after a kexec.
 *
 * It runs in 64-bit mode on the old kernel's identity-mapped page tables, with interrupts off
 * and CR4 reduced to paging bits (no OSFXSR: the C code is built with general registers only).
 * It checks every loaded segment against the loader's SHA-256 and halts forever on a mismatch;
 * otherwise it enters the new kernel through the 64-bit boot protocol
 * (Documentation/arch/x86/boot.rst): flat __BOOT_CS (0x10) and __BOOT_DS (0x18) in the loaded
 * GDT, CS/DS/ES/SS set to them, interrupts disabled, %rsi = boot_params.
 *
 * Not used yet: the loader will relocate this object and fill in the variables below. */

	.text
	.code64
	.globl	kd_purgatory_start
	.type	kd_purgatory_start, @function
kd_purgatory_start:
	cli
	cld
	leaq	stack_top(%rip), %rsp
	lgdt	gdt_desc(%rip)

	/* Reload CS through a far return, then the data segments. */
	pushq	$0x10
	leaq	1f(%rip), %rax
	pushq	%rax
	lretq
1:	movl	$0x18, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	movl	%eax, %fs
	movl	%eax, %gs

	call	kd_purgatory_verify	/* KD_PURGATORY_INTACT (0) or not */
	testl	%eax, %eax
	jnz	.Lspin

	movq	kd_purgatory_boot_params(%rip), %rsi
	movq	kd_purgatory_kernel_entry(%rip), %rax
	xorl	%ebp, %ebp
	xorl	%edi, %edi
	jmp	*%rax

	/* Corrupted memory: never start it. hlt again after an NMI wakes us. */
.Lspin:
	cli
	hlt
	jmp	.Lspin
	.size	kd_purgatory_start, . - kd_purgatory_start

	/* In .data (not .bss) so the loader patches and copies the object's bytes as they are. */
	.data
	.balign	8
	.globl	kd_purgatory_boot_params
	.type	kd_purgatory_boot_params, @object
kd_purgatory_boot_params:	/* physical address of struct boot_params */
	.quad	0
	.size	kd_purgatory_boot_params, 8
	.globl	kd_purgatory_kernel_entry
	.type	kd_purgatory_kernel_entry, @object
kd_purgatory_kernel_entry:	/* the kernel's 64-bit entry: load address + 0x200 */
	.quad	0
	.size	kd_purgatory_kernel_entry, 8

	/* Null descriptors up to 0x10, then 4 GiB flat: 64-bit code (0x9a, L=1), data (0x92). */
	.balign	16
gdt:
	.quad	0
	.quad	0
	.quad	0x00af9a000000ffff
	.quad	0x00cf92000000ffff
gdt_end:
gdt_desc:
	.word	gdt_end - gdt - 1
	.quad	gdt

	/* The verify call needs a few hundred bytes (SHA-256's message schedule). */
	.balign	16
	.fill	4096, 1, 0
stack_top:

	.section .note.GNU-stack, "", @progbits
