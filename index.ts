// The Pulumi program: the stack's config -> createInfrastructure -> stack outputs (grouped per cloud).
import { program } from "./components";

export = program();
