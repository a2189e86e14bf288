import type { DatabaseEngine } from "../../config/database";

/**
 * The data services the application reaches and the TCP port of each: what the database's and the
 * application's security groups, the isolated tier's network ACLs and the Fargate tasks open. A data
 * service joins that chain with a row here.
 */
export const DATA_PORTS: Readonly<Record<DatabaseEngine, { readonly port: number; readonly label: string }>> = {
    mysql: { port: 3306, label: "MySQL" },
    postgres: { port: 5432, label: "PostgreSQL" },
};

/** The port of the stack's database engine (`app.databaseEngine`). */
export function databasePort(engine: DatabaseEngine): number {
    return DATA_PORTS[engine].port;
}
