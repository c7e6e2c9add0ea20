"""Classroom: rosters, account checks, and the aggregation of students' shared reports (`envdoctor class`)."""
