import type { SessionUser } from '../../contract/auth'

export const isAdmin = (u: SessionUser | null | undefined) => u?.role === 'admin'
export const isAuditor = (u: SessionUser | null | undefined) => u?.role === 'auditor'
/** Auditors read everything and change nothing: no mutation control is rendered for them. */
export const canMutate = (u: SessionUser | null | undefined) => u?.role === 'admin' || u?.role === 'developer'
export const seesAll = (u: SessionUser | null | undefined) => u?.role === 'admin' || u?.role === 'auditor'
