"""The monthly pipeline's steps over the stages: build, check, preview, and the manifest.

build     config -> sources -> Issue -> render -> build/YYYY-MM/, written at once
manifest  the build folder's hashes, and checking a folder against them
check     everything a build and a send read, validated without writing
preview   a build folder served on localhost
"""
