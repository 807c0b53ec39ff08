// Reads the build secret the Dockerfile mounts and records only that it was present.
if (!process.env.DATABASE_URL) throw new Error("DATABASE_URL secret missing");
console.log("build: DATABASE_URL is set");
