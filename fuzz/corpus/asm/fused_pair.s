# Fused mode: slot 0 and slot 1 each copy half of the input through SRAM and
# signal its own store engine; slot 1 sees its SRAM at [S, 2S) (a seed for the assembler and .npub fuzzers).
.mode fused
.io 256
.scratch 64
.input name=x shape=1x128 dtype=int8 layout=NC scale=0.5 zp=0 offset=0
.output name=y shape=1x128 dtype=int8 layout=NC scale=0.5 zp=0 offset=128
.stream slot=0 engine=load
dma.load dram_base=2 dram_off=0 sram=0 len0=64 cnt1=1 cnt2=1
sem.signal sem=0
end
.stream slot=0 engine=store
sem.wait sem=0
dma.store dram_base=2 dram_off=128 sram=0 len0=64 cnt1=1 cnt2=1
end
.stream slot=1 engine=load
dma.load dram_base=2 dram_off=64 sram=0x1000000 len0=64 cnt1=1 cnt2=1
sem.signal sem=0
end
.stream slot=1 engine=store
sem.wait sem=0
dma.store dram_base=2 dram_off=192 sram=0x1000000 len0=64 cnt1=1 cnt2=1
end
