/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Host stand-ins for the kernel's retpoline and return thunks, so that objects compiled with
 * -mindirect-branch=thunk-extern -mfunction-return=thunk-extern (the kernel's flags) link into the
 * callgrind harness. These are the thunks' plain forms (what the kernel runs on a CPU that needs no
 * mitigation before it patches the call sites): an indirect jump, and "ret". Every non-inlined
 * return is thus counted as jmp + ret, every indirect call as call + jmp.
 */
	.text
	.globl __x86_return_thunk
	.type __x86_return_thunk, @function
__x86_return_thunk:
	ret
	int3
	.size __x86_return_thunk, .-__x86_return_thunk

.macro THUNK reg
	.globl __x86_indirect_thunk_\reg
	.type __x86_indirect_thunk_\reg, @function
__x86_indirect_thunk_\reg:
	jmp *%\reg
	int3
	.size __x86_indirect_thunk_\reg, .-__x86_indirect_thunk_\reg
.endm
	THUNK rax
	THUNK rbx
	THUNK rcx
	THUNK rdx
	THUNK rsi
	THUNK rdi
	THUNK rbp
	THUNK r8
	THUNK r9
	THUNK r10
	THUNK r11
	THUNK r12
	THUNK r13
	THUNK r14
	THUNK r15
	.section .note.GNU-stack,"",@progbits
