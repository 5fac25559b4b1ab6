# linkdemo.s — frames across links, for the example topologies (topologies/*.toml).
#
# Node 0 (list the central node first) pings every satellite: it sends a frame on each of its
# link ports, prints every reply, and powers the system off once no frame has come for 1 ms
# of virtual time. Every other node is a relay: a frame from its parent (port 0) is printed,
# answered with a pong, and passed on to its child (port 1, if it has one); a frame from its
# child is passed up to its parent unchanged. Nodes sleep in `wait` between frames, with the
# receive interrupt lines enabled and interrupts themselves off, so idle nodes cost nothing.

        .equ UART, 0x10000000
        .equ TIMER, 0x10001000
        .equ INTC, 0x10002000
        .equ POWER, 0x10003000
        .equ LINK0, 0x10010000
        .equ PORT_STRIDE, 0x1000
        .equ RX_LEN, 0x010
        .equ RX_POP, 0x014
        .equ TX_SEND, 0x00c
        .equ CTRL, 0x004
        .equ TX_BUF, 0x400
        .equ RX_BUF, 0x800
        .equ QUIET_NS, 1000000

        .text
        .globl _start
_start:
        mv      s0, a0                  # s0: node index
        la      t0, probe_fault
        crrw    zero, tvec, t0
        # s1: number of link ports, found by reading each port's status until one faults.
        li      s1, 0
        li      s2, LINK0
probe:
        li      t1, 16
        beq     s1, t1, probed
        li      a5, 1
        lw      t1, 0(s2)               # faults (and clears a5) past the last port
        beqz    a5, probed
        li      t1, 1                   # receive interrupt enable
        sw      t1, CTRL(s2)
        addi    s1, s1, 1
        li      t1, PORT_STRIDE
        add     s2, s2, t1
        j       probe
probed:
        # Let every port's line (8..8+ports) wake `wait`, and the timer's (0) for node 0.
        li      t0, 1
        sll     t0, t0, s1
        addi    t0, t0, -1
        slli    t0, t0, 8
        ori     t0, t0, 1
        li      t1, INTC
        sw      t0, 4(t1)
        beqz    s0, central

# ---- a relay -----------------------------------------------------------------------------
relay:
        wait
        li      a0, LINK0
        lw      t0, RX_LEN(a0)
        bnez    t0, from_parent
        li      t1, 2
        blt     s1, t1, relay
        li      t1, PORT_STRIDE
        add     a0, a0, t1
        lw      t0, RX_LEN(a0)
        beqz    t0, relay
        # From the child: pass it up unchanged.
        li      a1, LINK0
        call    forward
        li      a0, LINK0 + PORT_STRIDE
        sw      zero, RX_POP(a0)
        j       relay

from_parent:
        la      a0, got
        call    puts
        li      a0, LINK0
        call    print_frame
        # Answer with "pong from node N".
        la      a0, pong
        addi    a1, s0, '0'
        call    compose
        li      a1, LINK0
        call    send
        # Pass the ping on to the child, if there is one.
        li      t1, 2
        blt     s1, t1, parent_done
        li      a0, LINK0
        li      a1, LINK0 + PORT_STRIDE
        call    forward
parent_done:
        li      a0, LINK0
        sw      zero, RX_POP(a0)
        j       relay

# ---- the central node --------------------------------------------------------------------
central:
        li      s2, 0                   # port
        li      s3, LINK0
send_pings:
        beq     s2, s1, pings_sent
        la      a0, ping
        addi    a1, s2, '0'
        call    compose
        mv      a1, s3
        call    send
        addi    s2, s2, 1
        li      t1, PORT_STRIDE
        add     s3, s3, t1
        j       send_pings
pings_sent:
        li      s4, 0                   # replies seen
        call    arm_timer
collect:
        wait
        li      s2, 0
        li      s3, LINK0
        li      s5, 0                   # frames seen in this pass
scan:
        beq     s2, s1, scanned
        lw      t0, RX_LEN(s3)
        beqz    t0, next_port
        la      a0, reply
        call    puts
        mv      a0, s3
        call    print_frame
        sw      zero, RX_POP(s3)
        addi    s4, s4, 1
        addi    s5, s5, 1
        j       scan
next_port:
        addi    s2, s2, 1
        li      t1, PORT_STRIDE
        add     s3, s3, t1
        j       scan
scanned:
        beqz    s5, quiet_check
        call    arm_timer
        j       collect
quiet_check:
        li      t0, TIMER
        lw      t1, 0(t0)
        lw      t2, 8(t0)
        bltu    t1, t2, collect
        la      a0, done1
        call    puts
        mv      a0, s4
        call    put_decimal
        la      a0, done2
        call    puts
        li      t0, POWER
        sw      zero, 0(t0)
halt:
        j       halt

# ---- helpers -----------------------------------------------------------------------------

# Sets the timer to interrupt QUIET_NS from now (low word only: the demo is short).
arm_timer:
        li      t0, TIMER
        lw      t1, 0(t0)
        li      t2, QUIET_NS
        add     t1, t1, t2
        sw      zero, 12(t0)
        sw      t1, 8(t0)
        li      t1, 1
        sw      t1, 16(t0)
        ret

# Builds the NUL-terminated string at a0 followed by the character a1 in `message`;
# returns the length in a0.
compose:
        la      t1, message
        mv      t0, t1
compose_loop:
        lbu     t2, 0(a0)
        beqz    t2, compose_end
        sb      t2, 0(t1)
        addi    a0, a0, 1
        addi    t1, t1, 1
        j       compose_loop
compose_end:
        sb      a1, 0(t1)
        sub     a0, t1, t0
        addi    a0, a0, 1
        ret

# Sends the first a0 bytes of `message` on port a1 (device buffers take whole words).
send:
        la      t0, message
        li      t1, 0
send_loop:
        bge     t1, a0, send_go
        add     t2, t0, t1
        lw      t3, 0(t2)
        add     t2, a1, t1
        sw      t3, TX_BUF(t2)
        addi    t1, t1, 4
        j       send_loop
send_go:
        sw      a0, TX_SEND(a1)
        ret

# Copies the head frame of port a0 to the transmit buffer of port a1 and sends it.
forward:
        lw      t0, RX_LEN(a0)
        li      t1, 0
forward_loop:
        bge     t1, t0, forward_send
        add     t2, a0, t1
        lw      t3, RX_BUF(t2)
        add     t2, a1, t1
        sw      t3, TX_BUF(t2)
        addi    t1, t1, 4
        j       forward_loop
forward_send:
        sw      t0, TX_SEND(a1)
        ret

# Prints the head frame of port a0 and a newline.
print_frame:
        lw      t0, RX_LEN(a0)
        li      t1, 0
        li      t4, UART
print_frame_loop:
        bge     t1, t0, print_frame_end
        andi    t2, t1, -4
        add     t2, a0, t2
        lw      t3, RX_BUF(t2)
        andi    t2, t1, 3
        slli    t2, t2, 3
        srl     t3, t3, t2
        andi    t3, t3, 0xff
        sw      t3, 0(t4)
        addi    t1, t1, 1
        j       print_frame_loop
print_frame_end:
        li      t3, '\n'
        sw      t3, 0(t4)
        ret

# puts, put_decimal.
        .include "lib/console.s"

# A read of a missing port lands here: clear a5 and skip the faulting load.
probe_fault:
        li      a5, 0
        crrs    t6, epc, zero
        addi    t6, t6, 4
        crrw    zero, epc, t6
        eret

        .bss
        .balign 4
message:
        .space  64

        .rodata
ping:   .asciz  "ping on port "
pong:   .asciz  "pong from node "
got:    .asciz  "got: "
reply:  .asciz  "reply: "
done1:  .asciz  "quiet for 1 ms after "
done2:  .asciz  " replies; powering off\n"
