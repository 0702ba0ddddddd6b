data x \
y
