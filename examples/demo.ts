/**
 * The default example: an I/O-bound pipeline that fetches three customers and their orders
 * from a simulated remote service (fixed latencies), joins them and summarises the sales.
 * With `maxConcurrency: 1` the fetches wait one after another. With a higher limit they
 * overlap, so the wall time drops.
 */
import { performance } from "node:perf_hooks";

import { type DAG, dag, xn } from "../index.js";

export interface Customer {
  readonly id: number;
  readonly name: string;
  readonly country: string;
}

export interface Order {
  readonly id: string;
  readonly customerId: number;
  readonly amountCents: number;
}

/** One line of the joined table. */
export interface CustomerSales {
  readonly name: string;
  readonly country: string;
  readonly orders: number;
  readonly totalCents: number;
}

export interface SalesSummary {
  readonly customers: number;
  readonly orders: number;
  readonly revenueCents: number;
  readonly topCustomer: string;
}

/** Simulated latency of each remote call, in milliseconds. */
export const latencyMs = { customer: 30, orders: 40 } as const;

export const customerIds: readonly number[] = [1, 2, 3];

const customers: readonly Customer[] = [
  { id: 1, name: "Amina", country: "KE" },
  { id: 2, name: "Bruno", country: "BR" },
  { id: 3, name: "Chen", country: "CN" },
];

const orders: readonly Order[] = [
  { id: "o-101", customerId: 1, amountCents: 4_250 },
  { id: "o-102", customerId: 2, amountCents: 1_999 },
  { id: "o-103", customerId: 1, amountCents: 12_000 },
  { id: "o-104", customerId: 3, amountCents: 875 },
  { id: "o-105", customerId: 2, amountCents: 6_430 },
  { id: "o-106", customerId: 3, amountCents: 2_500 },
  { id: "o-107", customerId: 3, amountCents: 15_010 },
];

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export const fetchCustomer = xn(async function fetchCustomer(id: number): Promise<Customer> {
  await delay(latencyMs.customer);
  const customer = customers.find((entry) => entry.id === id);
  if (customer === undefined) throw new Error(`customer ${id} not found`);
  return customer;
});

export const fetchOrders = xn(async function fetchOrders(customerId: number): Promise<Order[]> {
  await delay(latencyMs.orders);
  return orders.filter((order) => order.customerId === customerId);
});

export const joinSales = xn(function joinSales(
  found: readonly Customer[],
  orderLists: readonly (readonly Order[])[],
): CustomerSales[] {
  return found.map((customer, position) => {
    const own = orderLists[position]!;
    const totalCents = own.reduce((sum, order) => sum + order.amountCents, 0);
    return { name: customer.name, country: customer.country, orders: own.length, totalCents };
  });
});

export const summarise = xn(function summarise(rows: readonly CustomerSales[]): SalesSummary {
  const top = rows.reduce((best, row) => (row.totalCents > best.totalCents ? row : best));
  return {
    customers: rows.length,
    orders: rows.reduce((sum, row) => sum + row.orders, 0),
    revenueCents: rows.reduce((sum, row) => sum + row.totalCents, 0),
    topCustomer: top.name,
  };
});

export interface SalesReport {
  rows: CustomerSales[];
  summary: SalesSummary;
}

/** Builds the sales pipeline with the given concurrency limit. */
export function buildSalesPipeline(maxConcurrency: number): DAG<[], SalesReport> {
  return dag(
    function sales() {
      const found = customerIds.map((id) => fetchCustomer(id));
      const orderLists = customerIds.map((id) => fetchOrders(id));
      const rows = joinSales(found, orderLists);
      return { rows, summary: summarise(rows) };
    },
    { maxConcurrency },
  );
}

/** One measured run of the pipeline. */
export interface DemoRun {
  readonly maxConcurrency: number;
  readonly wallMs: number;
  readonly report: SalesReport;
}

/** Runs the pipeline once per concurrency limit, in order, measuring wall time. */
export async function measureDemo(limits: readonly number[]): Promise<DemoRun[]> {
  const runs: DemoRun[] = [];
  for (const maxConcurrency of limits) {
    const pipeline = buildSalesPipeline(maxConcurrency);
    const started = performance.now();
    const report = await pipeline();
    runs.push({ maxConcurrency, wallMs: performance.now() - started, report });
  }
  return runs;
}

function dollars(cents: number): string {
  return `$${(cents / 100).toFixed(2)}`;
}

/** Formats the timing table (speed-up relative to the first run) and the pipeline's result. */
export function formatDemo(runs: readonly DemoRun[]): string {
  const baseline = runs[0]!.wallMs;
  const timing = [
    "maxConcurrency  wall ms  speed-up",
    ...runs.map(
      (run) =>
        `${String(run.maxConcurrency).padStart(14)}  ${run.wallMs.toFixed(1).padStart(7)}  ` +
        `${(baseline / run.wallMs).toFixed(2).padStart(8)}`,
    ),
  ];

  const { rows, summary } = runs[runs.length - 1]!.report;
  const sales = [
    "customer  country  orders     total",
    ...rows.map(
      (row) =>
        `${row.name.padEnd(8)}  ${row.country.padEnd(7)}  ${String(row.orders).padStart(6)}  ` +
        `${dollars(row.totalCents).padStart(8)}`,
    ),
    `${summary.customers} customers, ${summary.orders} orders, revenue ` +
      `${dollars(summary.revenueCents)}, top customer ${summary.topCustomer}`,
  ];
  return [...timing, "", ...sales].join("\n");
}
