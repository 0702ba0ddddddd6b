u32le crc32(b) name=a
u32le crc32(a) name=b
