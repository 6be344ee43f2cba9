//! Project results (issue 18).
