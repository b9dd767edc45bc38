"""Jobs that string the library's commands together for one purpose (the prepared GPU job)."""
