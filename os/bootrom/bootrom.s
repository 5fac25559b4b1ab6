# bootrom.s — the boot ROM of a satellite: it can only receive an image over link port 0,
# check it, and jump to it (Bach §13.1: the central processor loads the satellite's kernel
# over the link). It speaks the receiving side of the link transport (docs/link-protocol.md,
# crate os/link): frames with a CRC-32, stop-and-wait acknowledgements, the boot channel's
# LOAD and START messages.
#
# It keeps all its state in registers and uses no RAM of its own, so an image may load
# anywhere in RAM. A port with checksum offload (docs/devices.md) checks each frame's CRC for
# it; on one without, it checks it itself. Either way it keeps the CRC of the loaded bytes: a
# port with DMA copies each LOAD's bytes to their place and keeps their CRC itself (`RX_SKIP`
# past the headers, `RX_STORE`, `RX_CRC`); on one without, the ROM copies them a word at a
# time through the receive window and keeps the CRC in s2. A frame that is damaged, out of
# order, or not for the boot channel is dropped without an acknowledgement: the sender's timeout sends it again. A LOAD outside RAM
# or a START whose byte count or CRC does not match what arrived is reported on the console;
# after a bad START the ROM forgets the transfer and waits for a new one from frame 0.
# A good START is acknowledged, then the ROM jumps to the entry with a0 = node index and
# a1 = RAM size, as a direct boot does.
#
# Registers: gp 1 if the port has DMA, s0 port 0, s1 next sequence number, s2 CRC of the
# loaded bytes (inverted form; without DMA),
# s3 bytes loaded, s4..s5 RAM, s6 node index, s7 RAM size, s8 frame length (at START: the
# entry), s9 frame's sequence number, s10 CRC table, s11 return address of the second call level.

        .equ UART, 0x10000000
        .equ INTC_ENABLE, 0x10002004
        .equ PORT0, 0x10010000
        .equ RAM_BASE, 0x80000000
        .equ STATUS, 0x000
        .equ CTRL, 0x004
        .equ TX_SEND, 0x00c
        .equ RX_LEN, 0x010
        .equ RX_POP, 0x014
        .equ FEATURES, 0x02c
        .equ CRC_AT, 0x030
        .equ RX_ADDR, 0x03c
        .equ RX_STORE, 0x040
        .equ RX_SKIP, 0x044
        .equ RX_CRC, 0x048
        .equ TX_BUF, 0x400
        .equ RX_BUF, 0x800
        .equ TX_READY, 4
        .equ RX_CRC_OK, 8
        .equ FEATURE_CRC, 1
        .equ FEATURE_DMA, 2
        .equ FRAME_CRC_AT, 12
        .equ HEADER, 16
        .equ DATA_ON_BOOT, 0x0101       # version 1, kind DATA, channel 0
        .equ ACK_ON_BOOT, 0x0201        # version 1, kind ACK, channel 0
        .equ OP_LOAD, 1
        .equ OP_START, 2

        .text
        .globl _start
_start:
        crrs    s6, nodeid, zero
        crrs    s7, ramsize, zero
        li      s4, RAM_BASE
        add     s5, s4, s7
        li      s0, PORT0
        la      s10, crc_table
        lw      t0, FEATURES(s0)        # checksum offload: the port checks every frame's CRC
        andi    t0, t0, FEATURE_CRC
        beqz    t0, crc_by_hand
        li      t0, FRAME_CRC_AT
        sw      t0, CRC_AT(s0)
crc_by_hand:
        lw      t0, FEATURES(s0)        # DMA: the port copies a LOAD's bytes and keeps their CRC
        andi    gp, t0, FEATURE_DMA
        srli    gp, gp, 1
        beqz    gp, dma_set
        li      t0, HEADER + 8          # past the frame's and the LOAD's headers
        sw      t0, RX_SKIP(s0)
dma_set:
        li      t0, 1                   # receive interrupt: lets `wait` wake on a frame
        sw      t0, CTRL(s0)
        li      t0, 0x100               # interrupt line 8: port 0
        li      t1, INTC_ENABLE
        sw      t0, 0(t1)
        la      a0, msg_waiting
        call    puts
        mv      a0, s6
        call    put_decimal
        la      a0, msg_waiting2
        call    puts

restart:
        li      s1, 0
        li      s2, -1
        li      s3, 0
        beqz    gp, next_frame
        sw      zero, RX_CRC(s0)        # the CRC of nothing

next_frame:
        lw      s8, RX_LEN(s0)
        bnez    s8, check_frame
        wait
        j       next_frame

check_frame:
        # The length must be the header plus the payload length it gives.
        li      t0, HEADER
        bltu    s8, t0, drop
        lw      t0, RX_BUF+8(s0)
        slli    t0, t0, 16
        srli    t0, t0, 16
        addi    t0, t0, HEADER
        bne     t0, s8, drop
        # A port with checksum offload has checked the CRC (STATUS bit 3); without, it is here.
        lw      t0, CRC_AT(s0)
        li      t1, FRAME_CRC_AT
        bne     t0, t1, crc_in_software
        lw      t0, STATUS(s0)
        andi    t0, t0, RX_CRC_OK
        beqz    t0, drop
        j       crc_checked
crc_in_software:
        # The CRC covers the frame with its CRC field taken as zero.
        li      a0, -1
        li      a2, 0                   # byte index
crc_frame:
        bgeu    a2, s8, crc_frame_done
        andi    t0, a2, -4
        add     t0, t0, s0
        lw      a1, RX_BUF(t0)
        andi    t0, a2, 3
        slli    t0, t0, 3
        srl     a1, a1, t0
        andi    a1, a1, 0xff
        addi    t0, a2, -12
        sltiu   t0, t0, 4               # bytes 12..15: the CRC field itself
        beqz    t0, crc_frame_byte
        li      a1, 0
crc_frame_byte:
        call    crc_byte
        addi    a2, a2, 1
        j       crc_frame
crc_frame_done:
        not     a0, a0
        lw      t0, RX_BUF+12(s0)
        bne     a0, t0, drop
crc_checked:
        # A data frame on the boot channel, version 1.
        lw      t0, RX_BUF(s0)
        li      t1, DATA_ON_BOOT
        bne     t0, t1, drop
        lw      s9, RX_BUF+4(s0)
        beq     s9, s1, fresh
        addi    t0, s9, 1
        beq     t0, s1, acknowledge     # a repeat: its acknowledgement was lost
        j       drop

fresh:
        lw      t0, RX_BUF+HEADER(s0)
        li      t1, OP_LOAD
        beq     t0, t1, load
        li      t1, OP_START
        beq     t0, t1, start
        j       drop

load:
        lw      a3, RX_BUF+HEADER+4(s0) # destination
        addi    a4, s8, -(HEADER + 8)   # bytes to load
        bltz    a4, drop
        or      t0, a3, a4
        andi    t0, t0, 3
        bnez    t0, load_refused
        bltu    a3, s4, load_refused
        add     t0, a3, a4
        bltu    t0, a3, load_refused    # wraps around
        bgtu    t0, s5, load_refused
        beqz    gp, load_by_words
        beqz    a4, load_done           # (RX_STORE takes 1 byte at least)
        sw      a3, RX_ADDR(s0)
        sw      a4, RX_STORE(s0)
        j       load_done
load_by_words:
        li      a2, 0
load_word:
        bgeu    a2, a4, load_done
        add     t0, s0, a2
        lw      a5, RX_BUF+HEADER+8(t0)
        add     t0, a3, a2
        sw      a5, 0(t0)
        mv      a0, s2
        li      t1, 4
load_crc:
        xor     t2, a0, a5              # crc_byte, inline: the loop every loaded byte takes
        andi    t2, t2, 0xff
        slli    t2, t2, 2
        add     t2, t2, s10
        lw      t2, 0(t2)
        srli    a0, a0, 8
        xor     a0, a0, t2
        srli    a5, a5, 8
        addi    t1, t1, -1
        bnez    t1, load_crc
        mv      s2, a0
        addi    a2, a2, 4
        j       load_word
load_done:
        add     s3, s3, a4
        addi    s1, s1, 1
        j       acknowledge

load_refused:
        la      a0, msg_outside
        call    puts
        j       drop

start:
        lw      t0, RX_BUF+HEADER+8(s0) # bytes the sender loaded
        bne     t0, s3, start_refused
        lw      t0, RX_BUF+HEADER+12(s0)
        not     t1, s2
        beqz    gp, start_crc
        lw      t1, RX_CRC(s0)
start_crc:
        bne     t0, t1, start_refused
        lw      s8, RX_BUF+HEADER+4(s0) # the entry (the frame length is no longer needed)
        addi    s1, s1, 1
        call    send_ack
        sw      zero, RX_POP(s0)
        la      a0, msg_booting
        call    puts
        mv      a0, s3
        call    put_decimal
        la      a0, msg_booting2
        call    puts
        sw      zero, CTRL(s0)
        beqz    gp, leave_skip
        sw      zero, RX_SKIP(s0)       # the port as the kernel expects it
leave_skip:
        li      t1, INTC_ENABLE
        sw      zero, 0(t1)
        fence.i
        mv      a0, s6
        mv      a1, s7
        jr      s8

start_refused:
        la      a0, msg_mismatch
        call    puts
        sw      zero, RX_POP(s0)
        j       restart

acknowledge:
        call    send_ack
drop:
        sw      zero, RX_POP(s0)
        j       next_frame

# ---- subroutines (the return address of a nested call is kept in s11) ----------------------

# Sends the acknowledgement of frame s9 on the boot channel.
send_ack:
        mv      s11, ra
ack_wait:
        lw      t0, STATUS(s0)
        andi    t0, t0, TX_READY
        beqz    t0, ack_wait
        li      t0, ACK_ON_BOOT
        sw      t0, TX_BUF(s0)
        sw      s9, TX_BUF+4(s0)
        sw      zero, TX_BUF+8(s0)
        sw      zero, TX_BUF+12(s0)
        li      a0, -1
        li      a2, 0
ack_crc:
        li      t0, HEADER
        bgeu    a2, t0, ack_crc_done
        andi    t0, a2, -4
        add     t0, t0, s0
        lw      a1, TX_BUF(t0)
        andi    t0, a2, 3
        slli    t0, t0, 3
        srl     a1, a1, t0
        andi    a1, a1, 0xff
        call    crc_byte
        addi    a2, a2, 1
        j       ack_crc
ack_crc_done:
        not     a0, a0
        sw      a0, TX_BUF+12(s0)
        li      t0, HEADER
        sw      t0, TX_SEND(s0)
        mv      ra, s11
        ret

# One byte into a CRC-32 kept inverted: a0 = table[(a0 ^ a1) & 0xff] ^ (a0 >> 8).
crc_byte:
        xor     t2, a0, a1
        andi    t2, t2, 0xff
        slli    t2, t2, 2
        add     t2, t2, s10
        lw      t2, 0(t2)
        srli    a0, a0, 8
        xor     a0, a0, t2
        ret

# puts, put_decimal.
        .include "../../programs/asm/lib/console.s"

        .rodata
msg_waiting:    .asciz  "bootrom: node "
msg_waiting2:   .asciz  " waiting for an image on link 0\n"
msg_booting:    .asciz  "bootrom: image of "
msg_booting2:   .asciz  " bytes checked; starting it\n"
msg_outside:    .asciz  "bootrom: a LOAD outside RAM was refused\n"
msg_mismatch:   .asciz  "bootrom: the image does not match its START; waiting for a new one\n"

        .balign 4
# crc_table[n]: CRC-32 (reflected polynomial 0xedb88320) of the byte n.
crc_table:
        .word   0x00000000, 0x77073096, 0xee0e612c, 0x990951ba
        .word   0x076dc419, 0x706af48f, 0xe963a535, 0x9e6495a3
        .word   0x0edb8832, 0x79dcb8a4, 0xe0d5e91e, 0x97d2d988
        .word   0x09b64c2b, 0x7eb17cbd, 0xe7b82d07, 0x90bf1d91
        .word   0x1db71064, 0x6ab020f2, 0xf3b97148, 0x84be41de
        .word   0x1adad47d, 0x6ddde4eb, 0xf4d4b551, 0x83d385c7
        .word   0x136c9856, 0x646ba8c0, 0xfd62f97a, 0x8a65c9ec
        .word   0x14015c4f, 0x63066cd9, 0xfa0f3d63, 0x8d080df5
        .word   0x3b6e20c8, 0x4c69105e, 0xd56041e4, 0xa2677172
        .word   0x3c03e4d1, 0x4b04d447, 0xd20d85fd, 0xa50ab56b
        .word   0x35b5a8fa, 0x42b2986c, 0xdbbbc9d6, 0xacbcf940
        .word   0x32d86ce3, 0x45df5c75, 0xdcd60dcf, 0xabd13d59
        .word   0x26d930ac, 0x51de003a, 0xc8d75180, 0xbfd06116
        .word   0x21b4f4b5, 0x56b3c423, 0xcfba9599, 0xb8bda50f
        .word   0x2802b89e, 0x5f058808, 0xc60cd9b2, 0xb10be924
        .word   0x2f6f7c87, 0x58684c11, 0xc1611dab, 0xb6662d3d
        .word   0x76dc4190, 0x01db7106, 0x98d220bc, 0xefd5102a
        .word   0x71b18589, 0x06b6b51f, 0x9fbfe4a5, 0xe8b8d433
        .word   0x7807c9a2, 0x0f00f934, 0x9609a88e, 0xe10e9818
        .word   0x7f6a0dbb, 0x086d3d2d, 0x91646c97, 0xe6635c01
        .word   0x6b6b51f4, 0x1c6c6162, 0x856530d8, 0xf262004e
        .word   0x6c0695ed, 0x1b01a57b, 0x8208f4c1, 0xf50fc457
        .word   0x65b0d9c6, 0x12b7e950, 0x8bbeb8ea, 0xfcb9887c
        .word   0x62dd1ddf, 0x15da2d49, 0x8cd37cf3, 0xfbd44c65
        .word   0x4db26158, 0x3ab551ce, 0xa3bc0074, 0xd4bb30e2
        .word   0x4adfa541, 0x3dd895d7, 0xa4d1c46d, 0xd3d6f4fb
        .word   0x4369e96a, 0x346ed9fc, 0xad678846, 0xda60b8d0
        .word   0x44042d73, 0x33031de5, 0xaa0a4c5f, 0xdd0d7cc9
        .word   0x5005713c, 0x270241aa, 0xbe0b1010, 0xc90c2086
        .word   0x5768b525, 0x206f85b3, 0xb966d409, 0xce61e49f
        .word   0x5edef90e, 0x29d9c998, 0xb0d09822, 0xc7d7a8b4
        .word   0x59b33d17, 0x2eb40d81, 0xb7bd5c3b, 0xc0ba6cad
        .word   0xedb88320, 0x9abfb3b6, 0x03b6e20c, 0x74b1d29a
        .word   0xead54739, 0x9dd277af, 0x04db2615, 0x73dc1683
        .word   0xe3630b12, 0x94643b84, 0x0d6d6a3e, 0x7a6a5aa8
        .word   0xe40ecf0b, 0x9309ff9d, 0x0a00ae27, 0x7d079eb1
        .word   0xf00f9344, 0x8708a3d2, 0x1e01f268, 0x6906c2fe
        .word   0xf762575d, 0x806567cb, 0x196c3671, 0x6e6b06e7
        .word   0xfed41b76, 0x89d32be0, 0x10da7a5a, 0x67dd4acc
        .word   0xf9b9df6f, 0x8ebeeff9, 0x17b7be43, 0x60b08ed5
        .word   0xd6d6a3e8, 0xa1d1937e, 0x38d8c2c4, 0x4fdff252
        .word   0xd1bb67f1, 0xa6bc5767, 0x3fb506dd, 0x48b2364b
        .word   0xd80d2bda, 0xaf0a1b4c, 0x36034af6, 0x41047a60
        .word   0xdf60efc3, 0xa867df55, 0x316e8eef, 0x4669be79
        .word   0xcb61b38c, 0xbc66831a, 0x256fd2a0, 0x5268e236
        .word   0xcc0c7795, 0xbb0b4703, 0x220216b9, 0x5505262f
        .word   0xc5ba3bbe, 0xb2bd0b28, 0x2bb45a92, 0x5cb36a04
        .word   0xc2d7ffa7, 0xb5d0cf31, 0x2cd99e8b, 0x5bdeae1d
        .word   0x9b64c2b0, 0xec63f226, 0x756aa39c, 0x026d930a
        .word   0x9c0906a9, 0xeb0e363f, 0x72076785, 0x05005713
        .word   0x95bf4a82, 0xe2b87a14, 0x7bb12bae, 0x0cb61b38
        .word   0x92d28e9b, 0xe5d5be0d, 0x7cdcefb7, 0x0bdbdf21
        .word   0x86d3d2d4, 0xf1d4e242, 0x68ddb3f8, 0x1fda836e
        .word   0x81be16cd, 0xf6b9265b, 0x6fb077e1, 0x18b74777
        .word   0x88085ae6, 0xff0f6a70, 0x66063bca, 0x11010b5c
        .word   0x8f659eff, 0xf862ae69, 0x616bffd3, 0x166ccf45
        .word   0xa00ae278, 0xd70dd2ee, 0x4e048354, 0x3903b3c2
        .word   0xa7672661, 0xd06016f7, 0x4969474d, 0x3e6e77db
        .word   0xaed16a4a, 0xd9d65adc, 0x40df0b66, 0x37d83bf0
        .word   0xa9bcae53, 0xdebb9ec5, 0x47b2cf7f, 0x30b5ffe9
        .word   0xbdbdf21c, 0xcabac28a, 0x53b39330, 0x24b4a3a6
        .word   0xbad03605, 0xcdd70693, 0x54de5729, 0x23d967bf
        .word   0xb3667a2e, 0xc4614ab8, 0x5d681b02, 0x2a6f2b94
        .word   0xb40bbe37, 0xc30c8ea1, 0x5a05df1b, 0x2d02ef8d
