"""Media in and out: still images and EXR channels (`image`), numbered sequences (`sequence`), clips read
frame by frame by plate frame number (`clip`), probing (`probe`) and H.264 review clips (`review`)."""
