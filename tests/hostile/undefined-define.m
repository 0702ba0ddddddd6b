data ${NOPE}
