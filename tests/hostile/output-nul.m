output "a\0b"
